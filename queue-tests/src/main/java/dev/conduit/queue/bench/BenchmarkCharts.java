package dev.conduit.queue.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * Draws the bar charts of docs/benchmarks.md with XChart, headless, as PNG files: for the in-JVM
 * report one chart per comparison, each Conduit backend as a bar beside the references it is
 * measured against, in a colour of its own; for a results file ({@link BenchResults}) one chart of
 * Conduit beside each row's reference. Stateless; call from one thread at a time (AWT rendering).
 */
final class BenchmarkCharts {
    private static final int WIDTH = 880;
    private static final int HEIGHT = 440;
    private static final int RESULTS_PANEL_HEIGHT = 300;
    private static final int SHORT_LABEL = 48;
    private static final Color CONDUIT = new Color(0x1565C0);
    private static final Color REFERENCE = new Color(0x9E9E9E);

    private BenchmarkCharts() {
    }

    /** One chart: its file name, title, axis title, the contenders and the categories. */
    record Chart(String fileName, String title, String yAxis, List<Contender> contenders, List<Category> categories) {
    }

    /**
     * One group of bars: a label and how to read each contender's value.
     *
     * @param label the label under the group
     * @param value reads the value of a figure
     * @param scenario where the figures come from
     */
    record Category(String label, Scenario scenario, ToDoubleFunction<Figure> value) {
    }

    /**
     * Renders a chart as PNG into {@code dir}.
     *
     * @param chart what to draw
     * @param figures the run's figures; a figure that is missing is drawn as 0
     * @param dir the image directory, created if needed
     * @return the file written
     * @throws IOException if it cannot be written
     */
    static Path render(Chart chart, Figures figures, Path dir) throws IOException {
        Files.createDirectories(dir);
        CategoryChart c = newChart(WIDTH, HEIGHT, chart.title(), chart.yAxis());
        Styler style = c.getStyler();

        List<String> labels = chart.categories().stream().map(Category::label).toList();
        Color[] colours = new Color[chart.contenders().size()];
        int i = 0;
        for (Contender contender : chart.contenders()) {
            List<Double> values = new ArrayList<>();
            for (Category category : chart.categories()) {
                values.add(figures.get(category.scenario(), contender)
                        .map(f -> category.value().applyAsDouble(f)).orElse(0.0));
            }
            c.addSeries(contender.isConduit() ? contender.label() + " (Conduit)" : contender.label(), labels, values);
            colours[i++] = colourOf(contender);
        }
        style.setSeriesColors(colours);
        Path file = dir.resolve(chart.fileName());
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /**
     * Renders the chart of a results file as one PNG: a small panel per row, two columns wide,
     * each with Conduit's bar beside its reference's, titled with the measure. Rows without a
     * reference are left out (the table still has them).
     *
     * @param results the results
     * @param file the PNG to write; its directory is created if needed
     * @return whether a chart was written (false when no row has a reference)
     * @throws IOException if it cannot be written
     */
    static boolean renderResults(BenchResults results, Path file) throws IOException {
        List<BenchResults.Row> rows = results.rows().stream().filter(BenchResults.Row::hasReference).toList();
        if (rows.isEmpty()) {
            return false;
        }
        int columns = Math.min(2, rows.size());
        int panelWidth = WIDTH / columns;
        int gridRows = (rows.size() + columns - 1) / columns;
        BufferedImage all = new BufferedImage(WIDTH, gridRows * RESULTS_PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, all.getWidth(), all.getHeight());
            for (int i = 0; i < rows.size(); i++) {
                BenchResults.Row row = rows.get(i);
                CategoryChart c = newChart(panelWidth, RESULTS_PANEL_HEIGHT, shorten(row.measure()),
                        row.unit() + (row.higherIsBetter() ? ", higher is better" : ", lower is better"));
                c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
                c.getStyler().setXAxisTicksVisible(false);
                c.getStyler().setSeriesColors(new Color[] {CONDUIT, REFERENCE});
                c.addSeries("Conduit", List.of(" "), List.of(row.conduit()));
                c.addSeries(shorten(row.referenceName()), List.of(" "), List.of(row.reference()));
                g.drawImage(BitmapEncoder.getBufferedImage(c), (i % columns) * panelWidth,
                        (i / columns) * RESULTS_PANEL_HEIGHT, null);
            }
        } finally {
            g.dispose();
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(all, "png", file.toFile());
        return true;
    }

    /** A bar chart in the style of every chart of the page. */
    private static CategoryChart newChart(int width, int height, String title, String yAxis) {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c = new CategoryChartBuilder().width(width).height(height).title(title).yAxisTitle(yAxis)
                .build();
        CategoryStyler style = c.getStyler();
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setChartBackgroundColor(Color.WHITE);
        style.setDecimalPattern("#,##0.##");
        style.setLabelsVisible(true);
        style.setLabelsRotation(0);
        style.setYAxisMin(0.0);
        style.setYAxisDecimalPattern("#,##0.#");
        style.setAvailableSpaceFill(0.8);
        return c;
    }

    private static String shorten(String label) {
        return label.length() <= SHORT_LABEL ? label : label.substring(0, SHORT_LABEL - 1) + "…";
    }

    private static Color colourOf(Contender contender) {
        return switch (contender) {
            case LOCAL -> new Color(0x1565C0);
            case LOCAL_VIEW -> new Color(0x64B5F6);
            case PRIORITY -> new Color(0x6A1B9A);
            case ARRAY_BLOCKING_QUEUE -> new Color(0x9E9E9E);
            case LINKED_BLOCKING_QUEUE -> new Color(0xBDBDBD);
            case MPMC_ARRAY_QUEUE -> new Color(0xEF6C00);
            case PRIORITY_BLOCKING_QUEUE -> new Color(0x8D6E63);
        };
    }
}

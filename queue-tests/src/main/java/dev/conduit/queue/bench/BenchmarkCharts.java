package dev.conduit.queue.bench;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Draws the bar charts of the in-JVM report with XChart, headless, as PNG files: one chart per
 * comparison, each Conduit backend as a bar beside the references it is measured against, in a
 * colour of its own. Stateless; call from one thread at a time (AWT rendering).
 */
final class BenchmarkCharts {
    private static final int WIDTH = 880;
    private static final int HEIGHT = 440;

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
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(chart.title()).yAxisTitle(chart.yAxis()).build();
        Styler style = c.getStyler();
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setChartBackgroundColor(Color.WHITE);
        style.setDecimalPattern("#,##0.##");
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setLabelsRotation(0);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisDecimalPattern("#,##0.#");
        c.getStyler().setAvailableSpaceFill(0.8);

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

    private static Color colourOf(Contender contender) {
        return switch (contender) {
            case LOCAL -> new Color(0x1565C0);
            case PRIORITY -> new Color(0x6A1B9A);
            case ARRAY_BLOCKING_QUEUE -> new Color(0x9E9E9E);
            case LINKED_BLOCKING_QUEUE -> new Color(0xBDBDBD);
            case MPMC_ARRAY_QUEUE -> new Color(0xEF6C00);
            case PRIORITY_BLOCKING_QUEUE -> new Color(0x8D6E63);
        };
    }
}

package dev.conduit.queue.bench;

import java.util.Objects;

/**
 * Rewrites one named section of a Markdown page and leaves the rest alone, so that several
 * harnesses (in-JVM, shared memory, rpc, ray) each keep their own part of docs/benchmarks.md. A
 * section is everything between {@code <!-- section:NAME -->} and {@code <!-- /section:NAME -->},
 * markers included. Stateless; thread-safe.
 */
final class MarkdownSections {
    private MarkdownSections() {
    }

    /** @return the line that opens section {@code name} */
    static String begin(String name) {
        return "<!-- section:" + name + " -->";
    }

    /** @return the line that closes section {@code name} */
    static String end(String name) {
        return "<!-- /section:" + name + " -->";
    }

    /**
     * Puts a section into a page: replaces it where it is, or appends it at the end.
     *
     * @param page the page, or null for a new page made of {@code header} and the section
     * @param header the start of a new page (ignored when {@code page} exists)
     * @param name the section's name
     * @param body the section's content, without markers
     * @return the new page
     * @throws IllegalArgumentException if the page has an opening marker without its closing one
     */
    static String merge(String page, String header, String name, String body) {
        Objects.requireNonNull(name, "name");
        String section = begin(name) + "\n" + body.strip() + "\n" + end(name) + "\n";
        if (page == null || page.isBlank()) {
            return header.strip() + "\n\n" + section;
        }
        int from = page.indexOf(begin(name));
        if (from < 0) {
            return page.stripTrailing() + "\n\n" + section;
        }
        int to = page.indexOf(end(name), from);
        if (to < 0) {
            throw new IllegalArgumentException("the page opens section '" + name + "' but never closes it with "
                    + end(name) + "; fix the page by hand");
        }
        int after = to + end(name).length();
        if (after < page.length() && page.charAt(after) == '\n') {
            after++;
        }
        return page.substring(0, from) + section + page.substring(after);
    }
}

package dev.slacktokens.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a token body looks like, and what a Java failure looks like, in any text the operator shows: logs, pages,
 * Events, status. Messages name where a hit was and a digest, never the token.
 */
public final class TokenLeaks {

    /** A Slack token body; the redacted forms ({@code xoxe.xoxp-…}) do not match. */
    public static final Pattern TOKEN = Pattern.compile("xox[a-z]?(\\.xox[a-z])?-[0-9A-Za-z][0-9A-Za-z-]{9,}");

    /** Pages written by the fuzz tests, scanned again by {@code LogLeakIT} with every other captured log. */
    public static final Path PAGES = Path.of("target/test-logs/fuzz-pages.log");

    /** Signs of a Java failure rendered into a page. */
    private static final List<String> STACK_TRACE_MARKERS = List.of("Exception", "\tat ", "Caused by", "java.",
            "jakarta.", "io.quarkus", "io.vertx", "org.jboss", "com.fasterxml", "io.fabric8", "dev.slacktokens");

    private TokenLeaks() {
    }

    /** Fails if {@code text} holds a token body or any of the {@code known} tokens; says where, never what. */
    public static void assertNoToken(String where, String text, Iterable<String> known) {
        Matcher m = TOKEN.matcher(text);
        assertThat(m.find()).as("token-like text (sha256 %s) in %s", m.hitEnd() ? "" : digest(m.group()), where)
                .isFalse();
        for (String token : known) {
            assertThat(text.contains(token)).as("a token of this run (sha256 %s) in %s", digest(token), where)
                    .isFalse();
        }
    }

    /**
     * Fails if {@code body} shows a Java failure. A marker that is part of what the request sent (pages echo the
     * {@code error} parameter, escaped) is not counted.
     */
    public static void assertNoStackTrace(String where, String body, String sent) {
        for (String marker : STACK_TRACE_MARKERS) {
            if (!sent.contains(marker)) {
                assertThat(body).as("Java failure text in %s", where).doesNotContain(marker);
            }
        }
    }

    /** Appends a page to {@link #PAGES}. */
    public static void record(String what, int status, String body) {
        try {
            Files.createDirectories(PAGES.getParent());
            Files.writeString(PAGES, "=== " + what + " -> " + status + "\n" + body + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code s} with every token body replaced by its digest. */
    public static String redact(String s) {
        return TOKEN.matcher(s).replaceAll(m -> "<token sha256 " + digest(m.group()) + ">");
    }

    public static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.slacktokens.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.testing.TokenLeaks;

/**
 * Runs after every unit and @QuarkusTest test: what they captured holds no Slack token: the application log
 * (operator, simulator, REST clients) and every HTTP page the fuzz tests received ({@code fuzz-pages.log}). Redacted
 * forms such as {@code xoxe.xoxp-…} are fine; a token body is not.
 */
class LogLeakIT {

    static final Pattern TOKEN = TokenLeaks.TOKEN;

    @Test
    void thePatternFindsTokensButNotTheirRedactedForm() {
        for (String token : new String[] { "xoxe.xoxp-1-" + "a1".repeat(20), "xoxe-1-" + "b2".repeat(20),
                "xoxp-123456789012-123456789012-1234567890123-" + "c".repeat(32), "xoxb-1-2-3abcdefghij" }) {
            assertThat(TOKEN.matcher("before " + token + " after").find()).as(token).isTrue();
        }
        for (String redacted : new String[] { "xoxe.xoxp-…", "xoxe-…", "xoxp-…" }) {
            assertThat(TOKEN.matcher("refreshed " + redacted + " ok").find()).as(redacted).isFalse();
        }
    }

    @Test
    void noTokenInTheCapturedTestLogs() throws IOException {
        Path log = Path.of("target/test-logs/quarkus.log");
        assertThat(log).as("the test profile writes its log there").exists();
        assertThat(Files.readString(log)).contains("Profile test activated");
        assertThat(TokenLeaks.PAGES).as("the fuzz tests write the pages they received there").exists();
        assertThat(Files.readString(TokenLeaks.PAGES)).contains("=== callback").contains("=== start")
                .contains("=== events");
        try (Stream<Path> files = Files.list(log.getParent())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(file, StandardCharsets.ISO_8859_1);
                Matcher m = TOKEN.matcher(text);
                assertThat(m.find()).as("token-like text in %s: %s", file, m.hitEnd() ? "" : TokenLeaks.redact(
                        text.substring(Math.max(0, m.start() - 80), Math.min(text.length(), m.end() + 20))))
                        .isFalse();
            }
        }
    }
}

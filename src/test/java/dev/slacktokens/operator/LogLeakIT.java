package dev.slacktokens.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Runs after every unit and @QuarkusTest test: the application log they captured (operator, simulator, REST
 * clients) holds no Slack token. Redacted forms such as {@code xoxe.xoxp-…} are fine; a token body is not.
 */
class LogLeakIT {

    static final Pattern TOKEN = Pattern.compile("xox[a-z]?(\\.xox[a-z])?-[0-9A-Za-z][0-9A-Za-z-]{9,}");

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
        String text = Files.readString(log);
        assertThat(text).contains("Profile test activated");
        Matcher m = TOKEN.matcher(text);
        assertThat(m.find()).as("token-like text in the test logs: %s", m.hitEnd() ? "" : text.substring(
                Math.max(0, m.start() - 80), Math.min(text.length(), m.end() + 20))).isFalse();
    }
}

package dev.slacktokens.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Set;

import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.response.chat.ChatPostMessageResponse;

/**
 * The example workload: posts a message as the connection's Slack user every {@code POST_EVERY_SECONDS}, with the
 * token the operator keeps in the workload Secret. The Secret is mounted as a directory ({@code TOKEN_DIR}), and
 * {@link TokenFile} re-reads {@code access_token} when the kubelet replaces the files after a rotation.
 *
 * <p>Environment: {@code TOKEN_DIR} (default {@code /var/run/slack}), {@code SLACK_CHANNEL} (default
 * {@code general}), {@code POST_EVERY_SECONDS} (default 15), {@code SLACK_API_URL} (default Slack's own
 * {@code https://slack.com/api/}; the demo points it at the simulator). Never prints a token: a token is named by
 * the first 8 hex digits of its SHA-256.
 */
public final class PostAsUser {

    /** Errors after which the token in hand is stale: read the file again at once rather than at the next change. */
    private static final Set<String> STALE_TOKEN = Set.of("token_expired", "invalid_auth", "token_revoked");

    private PostAsUser() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dir = Path.of(env("TOKEN_DIR", "/var/run/slack"));
        String channel = env("SLACK_CHANNEL", "general");
        long everySeconds = Long.parseLong(env("POST_EVERY_SECONDS", "15"));
        SlackConfig config = new SlackConfig();
        String api = System.getenv("SLACK_API_URL");
        if (api != null && !api.isBlank()) {
            config.setMethodsEndpointUrlPrefix(api.endsWith("/") ? api : api + "/");
        }
        Slack slack = Slack.getInstance(config);
        TokenFile token = TokenFile.watch(dir, PostAsUser::log);
        log("posting to #%s every %d s as the user of %s", channel, everySeconds, dir);
        for (long n = 1;; n++) {
            TokenFile.Token t = token.current();
            try {
                String text = "Hello from the example workload (post " + n + ")";
                ChatPostMessageResponse r = slack.methods(t.accessToken())
                        .chatPostMessage(req -> req.channel(channel).text(text));
                if (r.isOk()) {
                    log("posted ts=%s as %s with token %s (expires %s)", r.getTs(), r.getMessage().getUser(),
                            t.fingerprint(), t.expiresAt());
                } else {
                    log("Slack refused the post: %s (token %s)", r.getError(), t.fingerprint());
                    if (STALE_TOKEN.contains(r.getError())) {
                        token.reload();
                    }
                }
            } catch (IOException | SlackApiException e) {
                log("could not post: %s", e.getMessage());
            }
            Thread.sleep(everySeconds * 1000);
        }
    }

    static void log(String format, Object... args) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + String.format(format, args));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}

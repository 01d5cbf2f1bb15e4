package dev.slacktokens.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;

/** What every fuzzed request is held to, and the cluster-wide Secret snapshot a batch is compared against. */
public abstract class HttpFuzzBase extends OperatorTestBase {

    public record Answer(int status, String body) {
    }

    protected final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    protected Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected Answer raw(String head, byte[] body) {
        RawHttp.Reply r = RawHttp.send(OperatorProfile.PORT, head, body);
        return new Answer(r.status(), r.body());
    }

    protected static URI uri(String pathAndQuery) {
        return URI.create(OperatorProfile.BASE + pathAndQuery);
    }

    /**
     * The rules for every answer: one of {@code allowed} (never a 5xx), no Java failure text, no token. The page is
     * also kept for {@code LogLeakIT}.
     */
    protected static void check(String what, Answer answer, Set<Integer> allowed, String sent) {
        TokenLeaks.record(what, answer.status(), answer.body());
        assertThat(answer.status()).as("status of %s (body %s)", what, Fuzz.describe(answer.body()))
                .isLessThan(500).isIn(allowed);
        TokenLeaks.assertNoStackTrace(what, answer.body(), sent);
        TokenLeaks.assertNoToken(what, answer.body(), SEEN_TOKENS);
    }

    /** Every Secret in every namespace: resourceVersion and a digest of its data (never the data itself). */
    protected Map<String, String> secrets() {
        return client.secrets().inAnyNamespace().list().getItems().stream().collect(Collectors.toMap(
                s -> s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(),
                s -> s.getMetadata().getResourceVersion() + " " + TokenLeaks.digest(String.valueOf(
                        new TreeMap<>(s.getData() == null ? Map.of() : s.getData()))),
                (a, b) -> a, TreeMap::new));
    }

    /** The snapshot once the reconciler has stopped writing (two reads a second apart agree). */
    protected Map<String, String> settledSecrets() {
        Map<String, String>[] last = new Map[] { secrets() };
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            Map<String, String> now = secrets();
            boolean same = now.equals(last[0]);
            last[0] = now;
            return same;
        });
        return last[0];
    }

    protected void assertSecretsUnchanged(Map<String, String> before) {
        Map<String, String> after = secrets();
        Set<String> changed = new java.util.TreeSet<>();
        before.forEach((k, v) -> {
            if (!v.equals(after.get(k))) {
                changed.add(k);
            }
        });
        after.keySet().stream().filter(k -> !before.containsKey(k)).forEach(changed::add);
        assertThat(changed).as("Secrets created, changed or deleted by the batch (names only)").isEmpty();
    }

    /** No token in any Event of the cluster nor in the status of any connection. */
    protected void assertNoTokenInEventsOrStatus() {
        client.v1().events().inAnyNamespace().list().getItems().forEach(e -> TokenLeaks.assertNoToken(
                "Event " + e.getMetadata().getNamespace() + "/" + e.getMetadata().getName(),
                e.getReason() + " " + e.getMessage(), SEEN_TOKENS));
        List<SlackUserConnection> connections = client.resources(SlackUserConnection.class).inAnyNamespace().list()
                .getItems();
        assertThat(connections).isNotEmpty();
        connections.forEach(c -> TokenLeaks.assertNoToken("status of " + c.getMetadata().getNamespace() + "/"
                + c.getMetadata().getName(), Serialization.asJson(c.getStatus()), SEEN_TOKENS));
    }

    /** Tokens of a Secret, remembered for the scans (and for LogLeakIT's log scan through SEEN_TOKENS). */
    protected static void remember(Secret secret) {
        decode(secret);
    }
}

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * The baseline of the mass-refresh benchmark: the least work a refresh needs, with a bare Fabric8 client and the JDK's
 * HTTP client and nothing else. For every token store: one oauth.v2.access refresh call, one compare-and-set update of
 * the store, one server-side apply of the workload Secret. No journal, no status, no Event, no informer.
 * <p>
 * With {@code --safe}, the same writes as the operator's refresh, still with nothing else around them: the journal
 * (a compare-and-set update of the store before the call, so that a second writer fails before it spends the refresh
 * token), the call, the new pair (compare-and-set), the workload Secret, and a merge patch of the connection's status
 * (expiry, next refresh, last refresh).
 *
 * usage: java -cp "target/quarkus-app/lib/main/*" bench/Baseline.java SLACK_URL CLIENT_ID CLIENT_SECRET THREADS
 * [NS|-] [--safe] (KUBECONFIG names the cluster; NS: only the stores of connections in that namespace). Prints one
 * line: refreshes, seconds, refreshes per second.
 */
public class Baseline {

    public static void main(String[] args) throws Exception {
        String slack = args[0];
        String clientId = args[1];
        String clientSecret = args[2];
        int threads = Integer.parseInt(args[3]);
        String connectionNamespace = args.length > 4 && !args[4].equals("-") ? args[4] : null;
        boolean safe = args.length > 5 && args[5].equals("--safe");
        ObjectMapper json = new ObjectMapper();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (KubernetesClient k8s = new KubernetesClientBuilder().build()) {
            var selected = k8s.secrets().inNamespace("slack-token-operator").withLabel("slacktokens.dev/role",
                    "token-store");
            List<Secret> stores = (connectionNamespace == null ? selected
                    : selected.withLabel("slacktokens.dev/connection-namespace", connectionNamespace)).list().getItems();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            for (Secret store : stores) {
                pool.submit(() -> {
                    try {
                        refresh(k8s, http, json, slack, clientId, clientSecret, store, safe);
                        done.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                });
            }
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.HOURS);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("baseline%s: %d refreshed, %d failed, %.1f s, %.1f refreshes/s%n", safe ? " --safe" : "", done.get(),
                    failed.get(), seconds, done.get() / seconds);
        }
        // The HTTP client factory's event loop keeps the JVM alive otherwise.
        System.exit(0);
    }

    static void refresh(KubernetesClient k8s, HttpClient http, ObjectMapper json, String slack, String clientId,
            String clientSecret, Secret store, boolean safe) throws Exception {
        if (safe) {
            store.getMetadata().setAnnotations(new LinkedHashMap<>(store.getMetadata().getAnnotations() == null
                    ? Map.of() : store.getMetadata().getAnnotations()));
            store.getMetadata().getAnnotations().put("bench.slacktokens.dev/journal", Instant.now().toString());
            store = k8s.secrets().inNamespace(store.getMetadata().getNamespace()).resource(store).update();
            store.getMetadata().getAnnotations().remove("bench.slacktokens.dev/journal");
        }
        Map<String, String> data = new LinkedHashMap<>();
        store.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        String form = "grant_type=refresh_token&refresh_token=" + enc(data.get("refresh_token")) + "&client_id="
                + enc(clientId) + "&client_secret=" + enc(clientSecret);
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(slack + "/api/oauth.v2.access"))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = json.readTree(resp.body());
        if (!body.path("ok").asBoolean()) {
            throw new IllegalStateException(body.path("error").asText());
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        data.put("access_token", body.get("access_token").asText());
        data.put("refresh_token", body.get("refresh_token").asText());
        data.put("expires_at", now.plusSeconds(body.get("expires_in").asLong()).toString());
        data.put("issued_at", now.toString());
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        store.setData(encoded);
        k8s.secrets().inNamespace(store.getMetadata().getNamespace()).resource(store).update();
        var labels = store.getMetadata().getLabels();
        Secret workload = new SecretBuilder().withNewMetadata().withName(labels.get("slacktokens.dev/connection"))
                .withNamespace(labels.get("slacktokens.dev/connection-namespace")).endMetadata()
                .addToData("access_token", encoded.get("access_token"))
                .addToData("expires_at", encoded.get("expires_at")).build();
        k8s.secrets().inNamespace(workload.getMetadata().getNamespace()).resource(workload)
                .patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("bench-baseline").withForce(true).build());
        if (safe) {
            Instant expires = Instant.parse(data.get("expires_at"));
            String status = json.writeValueAsString(Map.of("status", Map.of("expiresAt", expires.toString(),
                    "refreshAt", expires.minus(Duration.ofHours(2)).toString(), "lastRefreshTime", now.toString())));
            k8s.genericKubernetesResources("slacktokens.dev/v1alpha1", "SlackUserConnection")
                    .inNamespace(workload.getMetadata().getNamespace()).withName(workload.getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), status);
        }
    }

    static String enc(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }
}

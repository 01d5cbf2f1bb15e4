package dev.slacktokens.operator.testing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.SecretKeyRef;
import dev.slacktokens.operator.api.v1alpha1.SlackAppRef;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;

/** Shared set-up and helpers for tests that run the operator on the mock server with the in-process simulator. */
public abstract class OperatorTestBase {


    public static final Set<String> SEEN_TOKENS = ConcurrentHashMap.newKeySet();
    public static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    protected KubernetesClient client;

    protected String ns;

    @BeforeEach
    protected void setUp() {
        given().baseUri(OperatorProfile.BASE).post("/_sim/reset").then().statusCode(200);
        ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .create();
    }

    // ------------------------------------------------------------------ helpers

    protected void sim(String path, Map<String, ?> body) {
        given().baseUri(OperatorProfile.BASE).contentType(ContentType.JSON).body(body).post(path).then()
                .statusCode(200);
    }

    /** Sets one annotation on the connection (a new value of a manual request, or an unrelated change). */
    protected void annotate(SlackUserConnection c, String key, String value) {
        client.resource(get(c)).edit(x -> {
            Map<String, String> a = x.getMetadata().getAnnotations() == null ? new java.util.HashMap<>()
                    : new java.util.HashMap<>(x.getMetadata().getAnnotations());
            a.put(key, value);
            x.getMetadata().setAnnotations(a);
            return x;
        });
    }

    /** Slack's error for a token at auth.test, or null when Slack accepts it. */
    protected String slackAuthTestError(String token) {
        return given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + token).post("/api/auth.test")
                .then().extract().path("error");
    }

    protected Object simStat(String name) {
        return given().baseUri(OperatorProfile.BASE).get("/_sim/stats").then().extract().path(name);
    }

    protected static String query(URI uri, String name) {
        for (String part : uri.getRawQuery().split("&")) {
            if (part.startsWith(name + "=")) {
                return java.net.URLDecoder.decode(part.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    protected byte[] stateKey() {
        Secret key = client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName("slack-token-operator-state-key").get();
        return Base64.getDecoder().decode(key.getData().get("key"));
    }

    protected Secret storeSecret(SlackUserConnection c) {
        return client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(get(c).getMetadata().getUid())).get();
    }

    protected void assertNoSecrets(SlackUserConnection c) {
        assertThat(storeSecret(c)).as("token store").isNull();
        assertThat(client.secrets().inNamespace(ns).withLabel(Labels.CONNECTION, c.getMetadata().getName()).list()
                .getItems()).as("workload Secrets").isEmpty();
    }

    protected static void assertPage(HttpResponse<String> page, int status, String text) {
        assertThat(page.statusCode()).as(page.body()).isEqualTo(status);
        assertThat(page.body()).contains(text).doesNotContain("xoxe").doesNotContain("xoxp");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");
    }

    /** The value of one series in the Prometheus text, or NaN when absent. */
    protected static double metric(String series) {
        String text = given().baseUri(OperatorProfile.BASE).get("/q/metrics").then().statusCode(200).extract()
                .asString();
        return text.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(Double.NaN);
    }

    protected static String readyMessage(SlackUserConnection c) {
        return c.getStatus().getConditions().stream().filter(x -> x.getType().equals("Ready")).findFirst()
                .orElseThrow().getMessage();
    }

    /** Follows the connection's authorize link through Slack's consent, stopping before the callback. */
    protected URI callbackFor(Browser browser, SlackUserConnection c) {
        return browser.followUntil(awaitAuthorizeUrl(c), OperatorProfile.BASE + "/oauth/callback");
    }

    protected SlackUserConnectionSpec spec(String... userScopes) {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of(userScopes));
        return spec;
    }

    protected SlackUserConnection create(String name, SlackUserConnectionSpec spec) {
        SlackUserConnection c = new SlackUserConnection();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        c.setSpec(spec);
        return client.resource(c).create();
    }

    protected SlackUserConnection get(SlackUserConnection c) {
        return client.resources(SlackUserConnection.class).inNamespace(c.getMetadata().getNamespace())
                .withName(c.getMetadata().getName()).get();
    }

    protected String awaitAuthorizeUrl(SlackUserConnection c) {
        await().atMost(WAIT).until(() -> {
            var live = get(c);
            return live.getStatus() != null && live.getStatus().getAuthorizeUrl() != null;
        });
        return get(c).getStatus().getAuthorizeUrl();
    }

    protected SlackUserConnection awaitReady(SlackUserConnection c, boolean ready, String reason) {
        await().atMost(WAIT).untilAsserted(() -> assertReady(c, ready, reason));
        return get(c);
    }

    protected void assertReady(SlackUserConnection c, boolean ready, String reason) {
        var live = get(c);
        assertThat(live.getStatus()).isNotNull();
        Condition condition = live.getStatus().getConditions().stream().filter(x -> x.getType().equals("Ready"))
                .findFirst().orElseThrow();
        assertThat(condition.getStatus()).isEqualTo(ready ? "True" : "False");
        assertThat(condition.getReason()).isEqualTo(reason);
    }

    protected Map<String, String> awaitStore(SlackUserConnection c) {
        String name = TokenStore.storeName(client.resources(SlackUserConnection.class).inNamespace(ns)
                .withName(c.getMetadata().getName()).get().getMetadata().getUid());
        await().atMost(WAIT).until(() -> client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(name).get() != null);
        return decode(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE).withName(name).get());
    }

    protected Map<String, String> awaitWorkloadSecret(String namespace, String name) {
        await().atMost(WAIT).until(() -> client.secrets().inNamespace(namespace).withName(name).get() != null);
        return decode(client.secrets().inNamespace(namespace).withName(name).get());
    }

    protected static Map<String, String> decode(Secret secret) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        secret.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v),
                StandardCharsets.UTF_8)));
        out.forEach((k, v) -> {
            if (v.startsWith("xox")) {
                SEEN_TOKENS.add(v);
            }
        });
        return out;
    }
}

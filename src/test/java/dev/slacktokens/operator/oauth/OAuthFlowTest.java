package dev.slacktokens.operator.oauth;

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
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;

/**
 * The OAuth flow end to end on the Fabric8 CRUD mock server, with the Slack simulator: a connection is applied,
 * a browser follows its authorize link through Slack's consent to the callback, and the workload Secret appears.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class OAuthFlowTest {

    static final Set<String> SEEN_TOKENS = ConcurrentHashMap.newKeySet();
    static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    KubernetesClient client;

    String ns;

    @BeforeEach
    void setUp() {
        given().baseUri(OperatorProfile.BASE).post("/_sim/reset").then().statusCode(200);
        ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .create();
    }

    // ------------------------------------------------------------------ happy paths

    @Test
    void applyConsentCallbackGivesAWorkloadSecretAndReady() {
        SlackUserConnection c = create("alice", spec("chat:write", "users:read"));
        String link = awaitAuthorizeUrl(c);
        assertThat(link).startsWith(OperatorProfile.BASE + "/oauth/start?c=");
        assertReady(c, false, "AwaitingAuthorization");

        HttpResponse<String> page = new Browser().open(link);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Connected").contains("U0SIM0001").contains(ns + "/alice")
                .doesNotContain("xoxe");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");

        Map<String, String> store = awaitStore(c);
        assertThat(store).containsKeys("access_token", "refresh_token", "expires_at", "user_id", "team_id", "scope");
        Map<String, String> workload = awaitWorkloadSecret(ns, "alice");
        assertThat(workload).containsOnlyKeys("access_token", "token_type", "user_id", "team_id", "scope",
                "expires_at");
        assertThat(workload).containsEntry("token_type", "user").containsEntry("user_id", "U0SIM0001")
                .containsEntry("team_id", "T0SIM0001").containsEntry("scope", "chat:write,users:read")
                .containsEntry("access_token", store.get("access_token"));
        assertThat(workload.values()).doesNotContain(store.get("refresh_token"));
        Secret secret = client.secrets().inNamespace(ns).withName("alice").get();
        assertThat(secret.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by",
                "slack-token-operator").containsEntry("slacktokens.dev/connection", "alice");
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(c.getMetadata().getUid()));

        SlackUserConnection ready = awaitReady(c, true, "Authorized");
        var status = ready.getStatus();
        assertThat(status.getUser().getId()).isEqualTo("U0SIM0001");
        assertThat(status.getTeam().getId()).isEqualTo("T0SIM0001");
        assertThat(status.getTeam().getName()).isEqualTo("Simulated Workspace");
        assertThat(status.getGrantedScopes()).containsExactly("chat:write", "users:read");
        assertThat(Instant.parse(status.getExpiresAt())).isAfter(Instant.now().plus(Duration.ofHours(11)));
        assertThat(status.getSecretName()).isEqualTo("alice");
        assertThat(status.getAuthorizeUrl()).isNull();
        // the simulator accepts the projected token
        given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + workload.get("access_token"))
                .post("/api/auth.test").then().body("ok", org.hamcrest.Matchers.equalTo(true));
    }

    // ------------------------------------------------------------------ helpers

    SlackUserConnectionSpec spec(String... userScopes) {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of(userScopes));
        return spec;
    }

    SlackUserConnection create(String name, SlackUserConnectionSpec spec) {
        SlackUserConnection c = new SlackUserConnection();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        c.setSpec(spec);
        return client.resource(c).create();
    }

    SlackUserConnection get(SlackUserConnection c) {
        return client.resources(SlackUserConnection.class).inNamespace(c.getMetadata().getNamespace())
                .withName(c.getMetadata().getName()).get();
    }

    String awaitAuthorizeUrl(SlackUserConnection c) {
        await().atMost(WAIT).until(() -> {
            var live = get(c);
            return live.getStatus() != null && live.getStatus().getAuthorizeUrl() != null;
        });
        return get(c).getStatus().getAuthorizeUrl();
    }

    SlackUserConnection awaitReady(SlackUserConnection c, boolean ready, String reason) {
        await().atMost(WAIT).untilAsserted(() -> assertReady(c, ready, reason));
        return get(c);
    }

    void assertReady(SlackUserConnection c, boolean ready, String reason) {
        var live = get(c);
        assertThat(live.getStatus()).isNotNull();
        Condition condition = live.getStatus().getConditions().stream().filter(x -> x.getType().equals("Ready"))
                .findFirst().orElseThrow();
        assertThat(condition.getStatus()).isEqualTo(ready ? "True" : "False");
        assertThat(condition.getReason()).isEqualTo(reason);
    }

    Map<String, String> awaitStore(SlackUserConnection c) {
        String name = TokenStore.storeName(client.resources(SlackUserConnection.class).inNamespace(ns)
                .withName(c.getMetadata().getName()).get().getMetadata().getUid());
        await().atMost(WAIT).until(() -> client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(name).get() != null);
        return decode(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE).withName(name).get());
    }

    Map<String, String> awaitWorkloadSecret(String namespace, String name) {
        await().atMost(WAIT).until(() -> client.secrets().inNamespace(namespace).withName(name).get() != null);
        return decode(client.secrets().inNamespace(namespace).withName(name).get());
    }

    static Map<String, String> decode(Secret secret) {
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

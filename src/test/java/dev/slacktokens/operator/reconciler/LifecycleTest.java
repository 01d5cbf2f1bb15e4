package dev.slacktokens.operator.reconciler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.DeletionPolicy;
import dev.slacktokens.operator.api.v1alpha1.ImportFrom;
import dev.slacktokens.operator.api.v1alpha1.SecretKeyRef;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** Manual refresh and re-authorization, importing a legacy token, and deletion with Revoke and Retain. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class LifecycleTest extends OperatorTestBase {

    SlackUserConnection authorized(String name, SlackUserConnectionSpec spec) {
        SlackUserConnection c = create(name, spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        return c;
    }



    /** Defect: a name over 63 characters (legal) was used as a label value, and the callback failed with 500. */
    @Test
    void aConnectionWithANameLongerThanALabelValueIsAuthorized() {
        String name = "a-connection-whose-name-is-longer-than-sixty-three-characters-" + "x".repeat(20);
        SlackUserConnection c = authorized(name, spec("chat:write"));
        assertThat(awaitWorkloadSecret(ns, name)).containsKey("access_token");
        assertThat(storeSecret(c).getMetadata().getAnnotations()).containsEntry(Labels.CONNECTION_NAME, name);
        assertThat(storeSecret(c).getMetadata().getLabels().get(Labels.CONNECTION)).hasSize(63);
        annotate(c, "slacktokens.dev/refresh", "1");
        awaitReady(c, true, "Refreshed");
    }

    /**
     * Defect: a key someone else added to the workload Secret made every pass write it again (a no-op server-side
     * apply in production; on the mock server the update even erased that key).
     */
    @Test
    void aKeyAddedByAnotherWriterCausesNoWritesAndStays() {
        SlackUserConnection c = authorized("foreign", spec("chat:write"));
        awaitWorkloadSecret(ns, "foreign");
        client.secrets().inNamespace(ns).withName("foreign").edit(s -> {
            s.getData().put("extra", java.util.Base64.getEncoder().encodeToString("theirs".getBytes()));
            return s;
        });
        try (var writes = new dev.slacktokens.operator.testing.WriteCounter<io.fabric8.kubernetes.api.model.Secret>(
                client.secrets().inNamespace(ns).withName("foreign"))) {
            for (int i = 0; i < 3; i++) {
                annotate(c, "unrelated", Integer.toString(i));
            }
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
            assertThat(writes.writes()).as("writes to the workload Secret").isZero();
        }
        assertThat(decode(client.secrets().inNamespace(ns).withName("foreign").get())).containsEntry("extra", "theirs");
    }

    @Test
    void aNewRefreshAnnotationValueForcesOneRefresh() {
        SlackUserConnection c = authorized("manual", spec("chat:write"));
        String before = awaitStore(c).get("access_token");
        annotate(c, "slacktokens.dev/refresh", "1");
        await().atMost(WAIT).until(() -> !before.equals(awaitStore(c).get("access_token")));
        awaitReady(c, true, "Refreshed");
        assertThat(simStat("refreshes")).isEqualTo(1);
        annotate(c, "unrelated", "x");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> Integer.valueOf(1)
                .equals(simStat("refreshes")));
        annotate(c, "slacktokens.dev/refresh", "2");
        await().atMost(WAIT).until(() -> Integer.valueOf(2).equals(simStat("refreshes")));
    }

    @Test
    void reauthorizeAnnotationDiscardsTheTokensAndPublishesALink() {
        SlackUserConnection c = authorized("again", spec("chat:write"));
        String old = awaitStore(c).get("access_token");
        annotate(c, "slacktokens.dev/reauthorize", "2026-11-30");
        SlackUserConnection discarded = awaitReady(c, false, "ReauthorizationRequired");
        assertThat(readyMessage(discarded)).contains("Re-authorization was requested");
        assertThat(slackAuthTestError(old)).isEqualTo("token_revoked");
        await().atMost(WAIT).until(() -> !decode(client.secrets().inNamespace(ns).withName("again").get())
                .containsKey("access_token"));
        assertThat(new Browser().authorize(discarded.getStatus().getAuthorizeUrl()).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        // the same annotation value is not acted on twice
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertReady(c, true, "Authorized"));
    }

    @Test
    void aReauthorizeAnnotationFromBeforeTheConsentIsNotActedOn() {
        SlackUserConnection draft = new SlackUserConnection();
        draft.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("gitops").withNamespace(ns)
                .addToAnnotations("slacktokens.dev/reauthorize", "kept-in-git")
                .addToAnnotations("slacktokens.dev/refresh", "kept-in-git").build());
        draft.setSpec(spec("chat:write"));
        SlackUserConnection c = client.resource(draft).create();
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertReady(c, true, "Authorized"));
        assertThat(simStat("refreshes")).isNull();
        assertThat(slackAuthTestError(awaitStore(c).get("access_token"))).isNull();
    }

    @Test
    void importConvertsALegacyTokenOnce() {
        String legacy = given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("userId", "U0SIM0001", "scopes", java.util.List.of("chat:write"))).post(
                        "/_sim/legacy-tokens").then().statusCode(200).extract().path("token");
        client.resource(new SecretBuilder().withNewMetadata().withName("legacy").withNamespace(ns).endMetadata()
                .addToData("token", java.util.Base64.getEncoder().encodeToString(legacy.getBytes())).build()).create();
        SlackUserConnectionSpec spec = spec("chat:write");
        ImportFrom importFrom = new ImportFrom();
        importFrom.setSecretRef(new SecretKeyRef("legacy", "token"));
        spec.setImportFrom(importFrom);
        SlackUserConnection c = create("imported", spec);
        awaitReady(c, true, "Authorized");
        assertThat(awaitStore(c).get("refresh_token")).startsWith("xoxe-1-");
        assertThat(awaitWorkloadSecret(ns, "imported").get("access_token")).startsWith("xoxe.xoxp-1-");
        assertThat(simStat("exchanges")).isEqualTo(1);

        SlackUserConnection twice = create("imported-twice", spec);
        assertThat(readyMessage(awaitReady(twice, false, "InvalidSpec"))).contains("already exchanged");
        assertThat(get(twice).getStatus().getAuthorizeUrl()).isNotNull();
    }

    @Test
    void anImportOfAnotherUsersTokenIsRefusedOnceAndTheRefusalStands() {
        String legacy = given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("userId", "U0SIM0001")).post("/_sim/legacy-tokens").then().statusCode(200).extract()
                .path("token");
        client.resource(new SecretBuilder().withNewMetadata().withName("legacy3").withNamespace(ns).endMetadata()
                .addToData("token", java.util.Base64.getEncoder().encodeToString(legacy.getBytes())).build()).create();
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setUser("U0OTHER01");
        ImportFrom importFrom = new ImportFrom();
        importFrom.setSecretRef(new SecretKeyRef("legacy3", "token"));
        spec.setImportFrom(importFrom);
        Object callsBefore = simStat("oauth_v2_exchange_calls");
        SlackUserConnection c = create("someone-else", spec);
        assertThat(readyMessage(awaitReady(c, false, "IdentityMismatch"))).contains("U0SIM0001");
        // Slack exchanges a legacy token once: another pass must not try again and replace the reason
        client.resource(get(c)).edit(x -> {
            x.getMetadata().getAnnotations().put("example.com/touched", "1");
            return x;
        });
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertReady(c, false, "IdentityMismatch"));
        assertThat(simStat("oauth_v2_exchange_calls")).as("one exchange call")
                .isEqualTo(callsBefore == null ? 1 : (Integer) callsBefore + 1);
        assertThat(storeSecret(c)).isNull();
    }

    @Test
    void importForAnAppWithoutRotationSaysSo() {
        String legacy = given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("userId", "U0SIM0001")).post("/_sim/legacy-tokens").then().statusCode(200).extract()
                .path("token");
        given().baseUri(OperatorProfile.BASE).contentType("application/json").body(Map.of("clientId", "1111.2222",
                "clientSecret", "sim-client-secret", "appId", "A0SIM0001", "rotation", false)).post("/_sim/apps")
                .then().statusCode(200);
        client.resource(new SecretBuilder().withNewMetadata().withName("legacy2").withNamespace(ns).endMetadata()
                .addToData("token", java.util.Base64.getEncoder().encodeToString(legacy.getBytes())).build()).create();
        SlackUserConnectionSpec spec = spec("chat:write");
        ImportFrom importFrom = new ImportFrom();
        importFrom.setSecretRef(new SecretKeyRef("legacy2", "token"));
        spec.setImportFrom(importFrom);
        SlackUserConnection c = create("norotation", spec);
        assertThat(readyMessage(awaitReady(c, false, "InvalidClient"))).contains("Token rotation is not enabled");
        assertThat(storeSecret(c)).isNull();
    }

    @Test
    void deleteWithRevokeRevokesAtSlackAndRemovesTheStore() {
        SlackUserConnection c = authorized("bye", spec("chat:write"));
        Map<String, String> store = awaitStore(c);
        String uid = get(c).getMetadata().getUid();
        assertThat(get(c).getMetadata().getFinalizers()).isNotEmpty();
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> get(c) == null);
        assertThat(slackAuthTestError(store.get("access_token"))).isEqualTo("token_revoked");
        given().baseUri(OperatorProfile.BASE).auth().preemptive().basic("1111.2222", "sim-client-secret")
                .formParam("grant_type", "refresh_token").formParam("refresh_token", store.get("refresh_token"))
                .post("/api/oauth.v2.access").then().body("error", equalTo("invalid_refresh_token"));
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(uid)).get()).isNull();
    }

    @Test
    void deleteWithRevokeRetriesThroughASlackOutage() {
        SlackUserConnection c = authorized("outage", spec("chat:write"));
        String access = awaitStore(c).get("access_token");
        given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("method", "auth.revoke", "error", "service_unavailable", "count", 1)).post("/_sim/faults")
                .then().statusCode(200);
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> client.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> e.getMessage().startsWith("Could not revoke the tokens at Slack yet")));
        assertThat(get(c)).as("held by its finalizer while Slack is down").isNotNull();
        await().atMost(Duration.ofSeconds(40)).until(() -> get(c) == null);
        assertThat(slackAuthTestError(access)).isEqualTo("token_revoked");
    }

    @Test
    void deleteWithRetainKeepsTheLastAccessTokenUnowned() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setDeletionPolicy(DeletionPolicy.Retain);
        SlackUserConnection c = authorized("keep", spec);
        String access = awaitWorkloadSecret(ns, "keep").get("access_token");
        String uid = get(c).getMetadata().getUid();
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> get(c) == null);
        var kept = client.secrets().inNamespace(ns).withName("keep").get();
        assertThat(kept.getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(decode(kept)).containsEntry("access_token", access);
        assertThat(slackAuthTestError(access)).isNull();
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(uid)).get()).isNull();
    }
}

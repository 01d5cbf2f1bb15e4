package dev.slacktokens.operator.reconciler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import dev.slacktokens.operator.testing.WriteCounter;
import io.fabric8.kubernetes.api.model.Secret;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * Faults around a refresh, with 20 s simulated tokens: the token store refusing the refreshed pair, and Slack
 * failing the bot pair's refreshes for a minute. Nothing is lost, and a failing pair costs a bounded number of Slack
 * calls and Secret writes.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class RefreshFaultsTest extends OperatorTestBase {

    @Inject
    RefreshFaultHook faults;

    @AfterEach
    void cleanUp() {
        faults.release();
        client.resources(SlackUserConnection.class).inNamespace(ns).delete();
    }

    void sim(String path, Map<String, ?> body, boolean put) {
        var request = given().baseUri(OperatorProfile.BASE).contentType("application/json").body(body);
        (put ? request.put(path) : request.post(path)).then().statusCode(200);
    }

    SlackUserConnection authorized(String name, List<String> botScopes) {
        return authorized(name, botScopes, 20);
    }

    SlackUserConnection authorized(String name, List<String> botScopes, long lifetimeSeconds) {
        sim("/_sim/settings", Map.of("tokenLifetimeSeconds", lifetimeSeconds), true);
        var spec = spec("chat:write");
        spec.setBotScopes(botScopes);
        SlackUserConnection c = create(name, spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        return c;
    }

    /**
     * Defect: a store write that failed with anything but a conflict after Slack answered dropped the new pair;
     * recovery then depended on reusing the old refresh token inside Slack's grace period.
     */
    @Test
    void aRefreshedPairTheStoreRefusesIsKeptAndWrittenWithoutReusingTheRefreshToken() {
        SlackUserConnection c = authorized("storefails", null);
        String before = awaitStore(c).get("refresh_token");
        faults.failNextPersists(3);
        await().atMost(WAIT).until(() -> !before.equals(awaitStore(c).get("refresh_token")));
        assertThat(faults.failedPersists()).as("the write was failed").isEqualTo(3);
        assertThat(simStat("refreshes")).as("one refresh at Slack").isEqualTo(1);
        assertThat(simStat("refresh_reuse_within_grace")).as("no reuse of the old refresh token").isNull();
        assertThat(simStat("refresh_rejected")).isNull();
        awaitReady(c, true, "Refreshed");
        String token = awaitWorkloadSecret(ns, "storefails").get("access_token");
        given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + token).post("/api/auth.test")
                .then().body("ok", org.hamcrest.Matchers.equalTo(true));
    }

    /**
     * The store refuses the pair for longer than the in-place retries: the pass fails visibly (ReconcileError, no
     * token in the message), the pair is parked and written by a later pass, still without reusing the refresh token.
     */
    @Test
    void aPairTheStoreRefusesForLongIsParkedAndWrittenByALaterPass() {
        // 60 s tokens: the pass fails ~25 s before expiry, beyond the next retry, so Ready stays True
        SlackUserConnection c = authorized("storedown", null, 60);
        String before = awaitStore(c).get("refresh_token");
        faults.failNextPersists(1_000);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertReady(c, true, "ReconcileError"));
        assertThat(readyMessage(get(c))).contains("token store could not be written").contains("HTTP 500")
                .doesNotContain("xox");
        faults.release();
        await().atMost(Duration.ofSeconds(40)).until(() -> !before.equals(awaitStore(c).get("refresh_token")));
        assertThat(simStat("refresh_reuse_within_grace")).as("no reuse of the old refresh token").isNull();
        awaitReady(c, true, "Refreshed");
    }

    /**
     * Defect 9 of issue 18: a pair parked in memory (the store refused it) was never revoked when its connection was
     * deleted: a live token nobody held. The finalizer now revokes a parked pair the store does not hold.
     */
    @Test
    void aParkedPairOfADeletedConnectionIsRevoked() {
        SlackUserConnection c = authorized("parkeddelete", null, 60);
        faults.failNextPersists(1_000);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertReady(c, true, "ReconcileError"));
        assertThat(readyMessage(get(c))).contains("kept in memory");
        client.resources(SlackUserConnection.class).inNamespace(ns).withName("parkeddelete").delete();
        await().atMost(WAIT).until(() -> client.resources(SlackUserConnection.class).inNamespace(ns)
                .withName("parkeddelete").get() == null);
        @SuppressWarnings("unchecked")
        Map<String, Object> live = (Map<String, Object>) simStat("live_user_access_tokens");
        assertThat(live == null ? Map.of() : live).as("the stored pair and the parked pair are both revoked")
                .doesNotContainKey("U0SIM0001");
    }

    /**
     * Defect 1 of issue 18: a write of the refreshed pair landed but its answer was lost, then the API server refused
     * the store (writes and reads) for longer than store-write-retry. The pair was parked under the digest of the
     * refresh token it was got with; the next attempt saw another refresh token in the store, revoked the pair that
     * had landed and refreshed with its dead refresh token: ReauthorizationRequired one second after the outage. Now
     * the store is read back and compared by content: the landed pair is found, nothing is revoked.
     */
    @Test
    void aWriteThatLandedWithItsAnswerLostIsFoundByContentAndNothingIsRevoked() {
        SlackUserConnection c = authorized("lostanswer", null, 40);
        String before = awaitStore(c).get("refresh_token");
        faults.loseNextWriteAnswerThenStoreOutage();
        await().atMost(Duration.ofSeconds(60)).until(() -> faults.lostAnswers() == 1);
        String landed = awaitStore(c).get("refresh_token");
        assertThat(landed).as("the write landed").isNotEqualTo(before);
        // The outage outlasts store-write-retry (5 s in tests): the pair is parked and the pass fails visibly.
        await().atMost(Duration.ofSeconds(30)).until(() -> faults.failedPersists() >= 3);
        await().pollDelay(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(8)).until(() -> true);
        faults.release();
        awaitReady(c, true, "Refreshed");
        assertThat(simStat("revocations")).as("nothing revoked").isNull();
        assertThat(simStat("refresh_rejected")).as("no dead refresh token used").isNull();
        String token = awaitWorkloadSecret(ns, "lostanswer").get("access_token");
        given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + token).post("/api/auth.test")
                .then().body("ok", org.hamcrest.Matchers.equalTo(true));
        // the next refresh, with the refresh token that landed, succeeds
        await().atMost(Duration.ofSeconds(60)).until(() -> !landed.equals(awaitStore(c).get("refresh_token")));
        assertThat(simStat("refresh_rejected")).isNull();
        awaitReady(c, true, "Refreshed");
    }

    /**
     * Slack misbehaving on both pairs at once: errors, 503s, 429s with Retry-After, and answers slower than the read
     * timeout (a refresh Slack may have done though the operator never saw the answer). No token in the workload
     * Secret is ever past its expiry, both pairs keep rotating, and no refresh token is used after its grace.
     */
    @Test
    void slackFaultsOnBothPairsMissNoExpiry() {
        SlackUserConnection c = authorized("slackfaults", List.of("channels:read"), 60);
        // One fault of each kind on the next refresh calls, whichever pair they are for: an error, a 503, a 429 with
        // Retry-After, then an answer slower than the operator's 15 s read timeout (Slack rotates, the operator
        // never sees the answer and must try again with the same refresh token).
        List<Map<String, Object>> faults = List.of(
                Map.of("method", "oauth.v2.access", "error", "internal_error", "count", 1),
                Map.of("method", "oauth.v2.access", "httpStatus", 503, "count", 1),
                Map.of("method", "oauth.v2.access", "httpStatus", 429, "retryAfterSeconds", 2, "count", 1),
                Map.of("method", "oauth.v2.access", "latencyMillis", 16_000, "count", 1));
        Thread injector = new Thread(() -> {
            for (int i = 0; i < faults.size(); i++) {
                int before = ((Number) simStat("oauth_v2_access_calls")).intValue();
                sim("/_sim/faults", faults.get(i), false);
                await().atMost(Duration.ofSeconds(90)).until(() -> ((Number) simStat("oauth_v2_access_calls"))
                        .intValue() > before);
            }
        });
        injector.start();
        Set<String> users = new LinkedHashSet<>();
        Set<String> bots = new LinkedHashSet<>();
        await().atMost(Duration.ofSeconds(200)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Map<String, String> workload = decode(client.secrets().inNamespace(ns).withName("slackfaults").get());
            Map<String, String> stored = awaitStore(c);
            java.time.Instant now = java.time.Instant.now();
            assertThat(java.time.Instant.parse(workload.get("expires_at"))).as("user token never expired").isAfter(now);
            assertThat(java.time.Instant.parse(stored.get("bot_expires_at"))).as("bot token never expired")
                    .isAfter(now);
            users.add(workload.get("access_token"));
            bots.add(workload.get("bot_access_token"));
            return users.size() >= 4 && bots.size() >= 4;
        });
        assertThat(injector.isAlive()).as("every fault was injected").isFalse();
        // The slow call counts when Slack acts on it, 16 s after it arrived: the operator's retry (at its 15 s timeout)
        // can rotate first and end the loop above before the slow call is done (seen in CI: null instead of 1).
        await().atMost(Duration.ofSeconds(30)).until(() -> simStat("refresh_reuse_within_grace") != null);
        assertThat(simStat("refresh_reuse_after_grace")).isNull();
        assertThat(simStat("refresh_rejected")).isNull();
        int calls = ((Number) simStat("oauth_v2_access_calls")).intValue();
        int answered = simStat("faults_injected") == null ? 0 : ((Number) simStat("faults_injected")).intValue();
        System.out.printf("Slack faults on both pairs: %d oauth.v2.access calls, %d answered with a fault, %s reuses "
                + "inside the grace%n", calls, answered, simStat("refresh_reuse_within_grace"));
        assertThat(answered).as("Slack answered with a fault").isEqualTo(3);
        assertThat(simStat("refresh_reuse_within_grace")).as("the timed-out refresh was retried with its token")
                .isEqualTo(1);
        assertThat(calls).as("bounded calls for 6 rotations and a consent").isLessThanOrEqualTo(40);
        awaitReady(c, true, "Refreshed");
    }

    /**
     * Defect: with Slack answering 503 to bot refreshes, a failing bot refresh wrote the journal, the write woke the
     * reconciler, and it tried again at once: ~1,190 Slack calls and ~8,000 store writes in 120 s on a real API
     * server. Now the bot pair has the user pair's protocol, with a backoff kept in the store.
     */
    @Test
    void aFailingBotRefreshCostsABoundedNumberOfCallsAndWrites() {
        SlackUserConnection c = authorized("botfails", List.of("channels:read"));
        String storeName = TokenStore.storeName(get(c).getMetadata().getUid());
        Set<String> userTokens = new LinkedHashSet<>();
        sim("/_sim/faults", Map.of("method", "oauth.v2.access", "httpStatus", 503, "tokenType", "bot"), false);
        try (var writes = new WriteCounter<Secret>(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(storeName))) {
            await().during(Duration.ofSeconds(60)).atMost(Duration.ofSeconds(62)).pollInterval(Duration.ofMillis(500))
                    .until(() -> userTokens.add(decode(client.secrets().inNamespace(ns).withName("botfails").get())
                            .get("access_token")) || true);
            int botCalls = ((Number) simStat("faults_injected")).intValue();
            System.out.printf("failing bot pair over 60 s: %d bot refresh calls, %d token store writes%n", botCalls,
                    writes.writes());
            // A 503 may follow a rotation Slack made (issue 18): the same refresh token is tried again every 2 s
            // (RefreshPolicy.IN_DOUBT_PACE) for the in-doubt window, not at once in a loop and not after minutes.
            assertThat(botCalls).as("bot refresh calls in 60 s: one per 2 s, not a loop").isBetween(15, 32);
            assertThat(writes.writes()).as("token store writes in 60 s: two per call (journal, answer) and the "
                    + "user pair's").isLessThanOrEqualTo(2 * botCalls + 20);
        }
        assertThat(userTokens).as("the workload Secret saw the user token rotate").hasSizeGreaterThanOrEqualTo(3);
        assertThat(get(c).getStatus().getConditions().get(0).getStatus()).as("Ready follows the user token")
                .isEqualTo("True");
        assertThat(readyMessage(get(c))).contains("bot token's refresh failed").contains("http_503");
        assertThat((Integer) simStat("refreshes")).as("the user pair kept rotating").isGreaterThanOrEqualTo(3);
        assertThat(simStat("refresh_reuse_within_grace")).as("no refresh token sent twice").isNull();
        assertThat(storeSecret(c).getMetadata().getAnnotations().get(Labels.REFRESH_JOURNAL_BOT))
                .as("the backoff is kept in the store").contains("failures=").contains("retryAt=");
    }
}

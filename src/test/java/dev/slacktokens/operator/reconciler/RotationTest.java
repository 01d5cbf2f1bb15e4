package dev.slacktokens.operator.reconciler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.simulator.SimulatorSettings;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.fabric8.kubernetes.api.model.Secret;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * Token rotation end to end with short simulated lifetimes (20 s: refreshed about 10 s in), on the mock server with
 * the simulator: rotations, the crash window under each reuse policy, and tokens Slack no longer accepts. What each
 * Slack error and each schedule leads to is decided by {@link Decision} and tested as table rows in
 * {@link DecisionTest} (transient failures, backoff, Retry-After, the bot pair's schedule, manual requests), not here
 * with a wall clock; the bot pair rotates end to end in {@code RefreshFaultsTest.slackFaultsOnBothPairsMissNoExpiry}.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class RotationTest extends OperatorTestBase {

    static final Duration ROTATIONS = Duration.ofSeconds(75);

    @Inject
    RefreshFaultHook faults;

    @Inject
    JournalResumer resumer;

    @AfterEach
    void stopRefreshing() {
        faults.release();
        client.resources(SlackUserConnection.class).inNamespace(ns).delete();
    }

    SlackUserConnection authorized(String name, long lifetimeSeconds) {
        sim("/_sim/settings", Map.of("tokenLifetimeSeconds", lifetimeSeconds), true);
        SlackUserConnection c = create(name, spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        return c;
    }

    void sim(String path, Map<String, ?> body, boolean put) {
        var request = given().baseUri(OperatorProfile.BASE).contentType("application/json").body(body);
        (put ? request.put(path) : request.post(path)).then().statusCode(200);
    }

    /** Watches the workload Secret until it has carried {@code count} distinct tokens, checking each with Slack. */
    Set<String> watchRotations(SlackUserConnection c, int count) {
        Set<String> tokens = new LinkedHashSet<>();
        await().atMost(ROTATIONS).pollInterval(Duration.ofMillis(400)).until(() -> {
            Secret secret = client.secrets().inNamespace(ns).withName(c.getMetadata().getName()).get();
            String token = decode(secret).get("access_token");
            Map<String, String> workload = decode(secret);
            assertThat(Instant.parse(workload.get("expires_at"))).as("never past expiry").isAfter(Instant.now());
            given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + token).post("/api/auth.test")
                    .then().body("ok", org.hamcrest.Matchers.equalTo(true));
            var ready = get(c).getStatus().getConditions().get(0);
            assertThat(ready.getStatus()).as("Ready throughout").isEqualTo("True");
            assertThat(ready.getReason()).isIn("Authorized", "Refreshed");
            tokens.add(token);
            return tokens.size() >= count;
        });
        return tokens;
    }

    @Test
    void staysReadyAcrossThreeRotationsRefreshingBeforeExpiry() {
        double onSchedule = orZero(metric("slack_token_refresh_lateness_seconds_count"));
        double afterExpiry = orZero(metric("slack_token_refreshes_after_expiry_total"));
        // the series the chart's SlackTokenRefreshErrors alert reads (e2e/alerts/prometheusrule.test.yaml)
        double successes = orZero(metric("slack_token_refreshes_total{result=\"success\"}"));
        SlackUserConnection c = authorized("rotating", 20);
        Set<String> tokens = watchRotations(c, 4);
        assertThat(tokens).hasSize(4);
        var status = get(c).getStatus();
        assertThat(status.getConditions().get(0).getReason()).isEqualTo("Refreshed");
        assertThat(status.getLastRefreshTime()).isNotNull();
        assertThat(Instant.parse(status.getRefreshAt())).isBefore(Instant.parse(status.getExpiresAt()));
        assertThat(status.getFailedRefreshAttempts()).isNull();
        assertThat((Integer) simStat("refreshes")).isGreaterThanOrEqualTo(3);
        assertThat(simStat("refresh_reuse_after_grace")).isNull();
        assertThat(simStat("refresh_reuse_within_grace")).isNull();
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .as("one Event when the reason turned Refreshed, none per routine refresh (an API write each)")
                .filteredOn(e -> "Refreshed".equals(e.getReason())).hasSize(1);
        assertThat(storeSecret(c).getMetadata().getAnnotations()).doesNotContainKey(Labels.REFRESH_JOURNAL);
        assertThat(metric("slack_token_refresh_lateness_seconds_count") - onSchedule).as("refreshes on schedule timed")
                .isGreaterThanOrEqualTo(3);
        assertThat(orZero(metric("slack_token_refreshes_after_expiry_total")) - afterExpiry).isZero();
        assertThat(metric("slack_token_refreshes_total{result=\"success\"}") - successes).isGreaterThanOrEqualTo(3);
    }

    private static double orZero(double metric) {
        return Double.isNaN(metric) ? 0 : metric;
    }

    /** Slack does not say what a reuse inside the grace period returns: recovery must work for each answer. */
    @ParameterizedTest
    @EnumSource(SimulatorSettings.ReusePolicy.class)
    void crashAfterSlackAnsweredIsRecoveredInsideTheGracePeriod(SimulatorSettings.ReusePolicy policy) {
        sim("/_sim/settings", Map.of("reusePolicy", policy.name()), true);
        SlackUserConnection c = authorized("crash-" + policy.name().toLowerCase().replace('_', '-'), 20);
        String before = awaitStore(c).get("refresh_token");
        faults.crashNextRefresh();
        await().atMost(WAIT).until(() -> simStat("refreshes") != null);
        // Slack rotated, the store did not: the journal is open and still names the old refresh token
        assertThat(awaitStore(c).get("refresh_token")).isEqualTo(before);
        assertThat(storeSecret(c).getMetadata().getAnnotations()).containsKey(Labels.REFRESH_JOURNAL);
        faults.release();
        await().atMost(WAIT).until(() -> !before.equals(awaitStore(c).get("refresh_token")));
        assertThat(simStat("refresh_reuse_within_grace")).isEqualTo(1);
        assertThat(simStat("refresh_reuse_after_grace")).isNull();
        assertThat(storeSecret(c).getMetadata().getAnnotations()).doesNotContainKey(Labels.REFRESH_JOURNAL);
        awaitReady(c, true, "Refreshed");
        assertThat((Integer) simStat("auth_test_calls")).as("the resumed pair was checked").isGreaterThanOrEqualTo(1);
        watchRotations(c, 2);
    }

    /**
     * A new leader resumes interrupted refreshes first thing, without waiting for the controller to reach the
     * connection (here the controller is still "dead": only the resumer can act).
     */
    @Test
    void onTakingTheLeaseOpenJournalsAreResumedFirst() {
        SlackUserConnection c = authorized("resume-first", 20);
        String before = awaitStore(c).get("refresh_token");
        faults.crashNextRefresh();
        await().atMost(WAIT).until(() -> simStat("refreshes") != null);
        assertThat(storeSecret(c).getMetadata().getAnnotations()).containsKey(Labels.REFRESH_JOURNAL);
        assertThat(resumer.resumeOpenJournals()).as("one interrupted refresh resumed").isEqualTo(1);
        assertThat(awaitStore(c).get("refresh_token")).isNotEqualTo(before);
        assertThat(storeSecret(c).getMetadata().getAnnotations()).doesNotContainKey(Labels.REFRESH_JOURNAL);
        assertThat(simStat("refresh_reuse_within_grace")).isEqualTo(1);
        assertThat(resumer.resumeOpenJournals()).as("nothing left to resume").isZero();
        faults.release();
        awaitReady(c, true, "Refreshed");
    }

    @Test
    void crashRecoveredAfterTheGracePeriodAsksForReauthorization() {
        SlackUserConnection c = authorized("latecrash", 20);
        faults.crashNextRefresh();
        await().atMost(WAIT).until(() -> simStat("refreshes") != null);
        sim("/_sim/clock", Map.of("advanceSeconds", 61), false);
        faults.release();
        SlackUserConnection dead = awaitReady(c, false, "ReauthorizationRequired");
        assertThat(readyMessage(dead)).contains("interrupted refresh").contains("grace period");
        assertThat(dead.getStatus().getAuthorizeUrl()).isNotNull();
        assertThat(simStat("refresh_reuse_after_grace")).isEqualTo(1);
        await().atMost(WAIT).until(() -> !decode(client.secrets().inNamespace(ns).withName("latecrash").get())
                .containsKey("access_token"));
        assertThat(decode(client.secrets().inNamespace(ns).withName("latecrash").get()))
                .containsEntry("user_id", "U0SIM0001").doesNotContainKeys("access_token", "expires_at");
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anyMatch(e -> "ReauthorizationRequired".equals(e.getReason()) && "Warning".equals(e.getType()));
        // no silent loop: one rejected reuse, then nothing more is tried
        Integer rejected = (Integer) simStat("refresh_rejected");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> rejected.equals(simStat("refresh_rejected")));
    }

    @Test
    void tokensRevokedAtSlackAreFoundAtTheNextRefresh() {
        SlackUserConnection c = authorized("revoked", 20);
        given().baseUri(OperatorProfile.BASE).post("/_sim/users/U0SIM0001/revoke").then().statusCode(200);
        SlackUserConnection dead = awaitReady(c, false, "ReauthorizationRequired");
        assertThat(readyMessage(dead)).contains("invalid_refresh_token");
        // and a new consent brings it back
        assertThat(new Browser().authorize(dead.getStatus().getAuthorizeUrl()).statusCode()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> {
            var ready = get(c).getStatus().getConditions().get(0);
            assertThat(ready.getStatus()).isEqualTo("True");
            assertThat(ready.getReason()).isIn("Authorized", "Refreshed");
        });
        assertThat(awaitWorkloadSecret(ns, "revoked")).containsKey("access_token");
    }
}

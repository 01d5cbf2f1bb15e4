package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * Defect: refreshes refused by the operator's own limit on oauth.v2.access were failures: each wrote the journal, a
 * RefreshRetrying status and a Warning Event, and was retried only at the natural refresh time ~10 h later (measured:
 * 2,000 asked at once with 600/min, 1,400 never refreshed). A local limit is a wait: nothing is written until the
 * call can be made, and the backlog drains as permits free up.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(RateLimitBacklogTest.FourPerMinute.class)
class RateLimitBacklogTest extends OperatorTestBase {

    public static class FourPerMinute extends OperatorProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("slack-operator.slack.oauth-access-per-minute", "4");
            return config;
        }
    }

    @Test
    void refreshesOverTheLocalLimitWaitWithoutWritingAndAllHappen() {
        io.restassured.RestAssured.given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("tokenLifetimeSeconds", 90L)).put("/_sim/settings").then().statusCode(200);
        // four consents take the four permits of this minute
        List<SlackUserConnection> connections = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            SlackUserConnection c = create("backlog" + i, spec("chat:write"));
            assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
            connections.add(awaitReady(c, true, "Authorized"));
        }
        // a manual request now, and natural refreshes due ~45 s after issue: all over the limit until the window moves
        client.resource(get(connections.get(0))).edit(x -> {
            x.getMetadata().setAnnotations(Map.of(Labels.REFRESH_REQUEST, "now"));
            return x;
        });
        await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> true);
        assertThat(storeSecret(connections.get(0)).getMetadata().getAnnotations())
                .as("nothing is written before the call can be made").doesNotContainKey(Labels.REFRESH_JOURNAL);
        assertReady(connections.get(0), true, "Authorized");
        await().atMost(Duration.ofSeconds(100)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (SlackUserConnection c : connections) {
                var status = get(c).getStatus();
                assertThat(status.getFailedRefreshAttempts()).as("a local limit is not a failure").isNull();
                assertThat(status.getLastRefreshTime()).as(c.getMetadata().getName() + " refreshed").isNotNull();
            }
        });
        for (SlackUserConnection c : connections) {
            assertReady(c, true, "Refreshed");
        }
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .noneMatch(e -> "RefreshRetrying".equals(e.getReason()));
        assertThat(simStat("rate_limited")).as("no 429 drawn from Slack").isNull();
        assertThat(storeSecret(connections.get(0)).getMetadata().getAnnotations())
                .containsEntry(Labels.REFRESH_HANDLED, "now");
    }
}

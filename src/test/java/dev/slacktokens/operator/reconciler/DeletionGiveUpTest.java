package dev.slacktokens.operator.reconciler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** A Slack outage does not hold a deletion forever: after the configured bound the operator gives up and says so. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(DeletionGiveUpTest.ShortBound.class)
class DeletionGiveUpTest extends OperatorTestBase {

    public static class ShortBound extends OperatorProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("slack-operator.deletion.revoke-retry-interval", "1s");
            overrides.put("slack-operator.deletion.revoke-give-up-after", "3s");
            return overrides;
        }
    }

    @Test
    void aLongSlackOutageEndsInAGiveUpEventNotAStuckObject() {
        SlackUserConnection c = create("stuck", spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        String uid = get(c).getMetadata().getUid();
        given().baseUri(OperatorProfile.BASE).contentType("application/json")
                .body(Map.of("method", "auth.revoke", "error", "service_unavailable")).post("/_sim/faults").then()
                .statusCode(200);
        client.resource(get(c)).delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> get(c) == null);
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anyMatch(e -> e.getMessage().startsWith("Could not revoke the tokens at Slack yet"))
                .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().startsWith("Gave up revoking"));
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(uid)).get()).as("the token store goes anyway").isNull();
    }
}

package dev.slacktokens.operator.events;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.simulator.SlackRequestSigner;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** Slack's revocation events, delivered by the simulator signed as Slack signs them, and the metrics. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class EventsTest extends OperatorTestBase {

    static final String EVENTS = OperatorProfile.BASE + "/slack/events";

    SlackUserConnection authorized(String name) {
        SlackUserConnection c = create(name, spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        return c;
    }

    int deliver(String event, Map<String, Object> body) {
        return given().baseUri(OperatorProfile.BASE).contentType("application/json").body(body)
                .post("/_sim/events/" + event).then().statusCode(200).extract().path("status");
    }

    @Test
    void tokensRevokedEventDropsTheTokensAtOnce() {
        SlackUserConnection c = authorized("ev-revoked");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS))).isEqualTo(200);
        SlackUserConnection dead = awaitReady(c, false, "ReauthorizationRequired");
        assertThat(readyMessage(dead)).contains("tokens_revoked");
        assertThat(dead.getStatus().getAuthorizeUrl()).isNotNull();
        assertThat(decode(client.secrets().inNamespace(ns).withName("ev-revoked").get()))
                .doesNotContainKey("access_token");
    }

    @Test
    void appUninstalledEventMarksTheConnectionRevoked() {
        SlackUserConnection c = authorized("ev-uninstalled");
        assertThat(deliver("app-uninstalled", Map.of("teamId", "T0SIM0001", "url", EVENTS))).isEqualTo(200);
        assertThat(readyMessage(awaitReady(c, false, "Revoked"))).contains("uninstalled");
    }

    @Test
    void forgedOrStaleEventsAreRefusedAndChangeNothing() {
        SlackUserConnection c = authorized("ev-forged");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS, "revoke", false, "signingSecret", "not-the-secret"))).isEqualTo(401);
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS, "revoke", false, "timestampSkewSeconds", -301))).isEqualTo(401);
        given().contentType("application/json").body("{\"type\":\"url_verification\",\"challenge\":\"x\"}")
                .post(EVENTS).then().statusCode(401);
        assertReady(c, true, "Authorized");
        assertThat(awaitStore(c)).containsKey("refresh_token");
    }

    @Test
    void urlVerificationIsAnswered() {
        String body = "{\"token\":\"t\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
                + "\"type\":\"url_verification\"}";
        long ts = System.currentTimeMillis() / 1000;
        given().contentType("application/json").header("X-Slack-Request-Timestamp", Long.toString(ts))
                .header("X-Slack-Signature", SlackRequestSigner.sign("sim-signing-secret", ts, body)).body(body)
                .post(EVENTS).then().statusCode(200)
                .body("challenge", equalTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
    }

    @Test
    void metricsDescribeConnectionsCallbacksAndEvents() {
        SlackUserConnection c = authorized("metered");
        deliver("tokens-revoked", Map.of("teamId", "T0NOBODY1", "userIds", List.of("U0NOBODY1"), "url", EVENTS,
                "revoke", false));
        given().baseUri(OperatorProfile.BASE).get("/q/metrics").then().statusCode(200)
                .body(containsString("slack_oauth_callbacks_total{result=\"success\"}"))
                .body(containsString("slack_connections{reason=\"Authorized\"}"))
                .body(containsString("slack_events_total{result=\"ok\",type=\"tokens_revoked\"}"))
                .body(containsString("slack_token_expiry_timestamp_seconds{name=\"metered\",namespace=\"" + ns + "\"}"));
        assertThat(c).isNotNull();
    }
}

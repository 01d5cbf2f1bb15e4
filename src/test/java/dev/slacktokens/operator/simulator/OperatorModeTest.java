package dev.slacktokens.operator.simulator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.slack.SlackClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** An operator process never answers as Slack, and GovSlack is reached by configuration alone. */
@QuarkusTest
@TestProfile(OperatorModeTest.GovSlackProfile.class)
class OperatorModeTest {

    public static class GovSlackProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("slack-simulator.enabled", "false", "slack-operator.slack.base-url",
                    "https://slack-gov.com");
        }
    }

    @Inject
    SlackClient slack;

    @Test
    void simulatorPathsAreDarkWhenTheSimulatorIsOff() {
        given().redirects().follow(false).get("/oauth/v2/authorize?client_id=1111.2222").then().statusCode(404);
        given().formParam("token", "x").post("/api/auth.test").then().statusCode(404);
        given().get("/_sim/stats").then().statusCode(404);
    }

    @Test
    void baseUrlComesFromConfiguration() {
        assertThat(slack.baseUrl()).isEqualTo(URI.create("https://slack-gov.com"));
    }
}

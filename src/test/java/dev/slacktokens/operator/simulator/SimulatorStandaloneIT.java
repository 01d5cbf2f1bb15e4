package dev.slacktokens.operator.simulator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * The packaged application started exactly as the README says, as the standalone Slack simulator, with no
 * Kubernetes anywhere (KUBECONFIG points nowhere). A plain HTTP client that sends its client credentials in
 * HTTP Basic goes authorize → code → tokens → refresh → reuse after the grace period, which Slack rejects.
 */
class SimulatorStandaloneIT {

    static Process simulator;
    static String base;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        base = "http://localhost:" + port;
        log = Files.createTempFile("simulator", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dquarkus.profile=simulator", "-Dquarkus.http.port=" + port,
                "-jar", "target/quarkus-app/quarkus-run.jar");
        pb.environment().put("KUBECONFIG", "/nonexistent/kubeconfig");
        pb.environment().remove("KUBERNETES_SERVICE_HOST");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        simulator = pb.start();
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            try {
                if (given().baseUri(base).get("/_sim/stats").statusCode() == 200) {
                    break;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            if (!simulator.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("simulator did not start:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (simulator != null) {
            simulator.destroy();
            simulator.waitFor();
        }
    }

    RequestSpecification slack() {
        return given().baseUri(base);
    }

    @Test
    void authorizeCodeTokensRefreshAndReuseAfterGraceIsRejected() throws IOException {
        String redirect = "https://app.example.com/oauth/callback";
        String location = slack().redirects().follow(false).queryParam("client_id", "1111.2222")
                .queryParam("user_scope", "chat:write,users:read").queryParam("redirect_uri", redirect)
                .queryParam("state", "opaque-state").get("/oauth/v2/authorize").then().statusCode(302).extract()
                .header("Location");
        assertThat(location).startsWith(redirect + "?code=").endsWith("&state=opaque-state");
        String code = SlackSimulatorTest.query(URI.create(location)).get("code");

        JsonPath tokens = slack().auth().preemptive().basic("1111.2222", "sim-client-secret")
                .formParam("grant_type", "authorization_code").formParam("code", code)
                .formParam("redirect_uri", redirect).post("/api/oauth.v2.access").then().statusCode(200)
                .body("ok", equalTo(true)).body("authed_user.id", equalTo("U0SIM0001"))
                .body("authed_user.token_type", equalTo("user")).body("authed_user.expires_in", equalTo(43200))
                .body("authed_user.access_token", startsWith("xoxe.xoxp-1-"))
                .body("authed_user.refresh_token", startsWith("xoxe-1-")).body("team.id", equalTo("T0SIM0001"))
                .extract().jsonPath();
        String access = tokens.getString("authed_user.access_token");
        String refresh = tokens.getString("authed_user.refresh_token");

        slack().header("Authorization", "Bearer " + access).post("/api/auth.test").then().statusCode(200)
                .body("ok", equalTo(true)).body("user_id", equalTo("U0SIM0001"));

        // the code is single-use
        slack().auth().preemptive().basic("1111.2222", "sim-client-secret").formParam("code", code)
                .formParam("redirect_uri", redirect).post("/api/oauth.v2.access").then()
                .body("ok", equalTo(false)).body("error", equalTo("invalid_code"));

        JsonPath refreshed = refresh(refresh).then().statusCode(200).body("ok", equalTo(true))
                .body("token_type", equalTo("user")).body("user_id", equalTo("U0SIM0001"))
                .body("access_token", startsWith("xoxe.xoxp-1-")).body("refresh_token", startsWith("xoxe-1-"))
                .extract().jsonPath();
        assertThat(refreshed.getString("refresh_token")).isNotEqualTo(refresh);
        assertThat(refreshed.getMap("$")).doesNotContainKey("authed_user");

        // past the 60 s grace period the used refresh token is dead; the new one works
        slack().contentType(ContentType.JSON).body(Map.of("advanceSeconds", 61)).post("/_sim/clock").then()
                .statusCode(200);
        refresh(refresh).then().statusCode(200).body("ok", equalTo(false))
                .body("error", equalTo("invalid_refresh_token"));
        refresh(refreshed.getString("refresh_token")).then().body("ok", equalTo(true));

        slack().get("/_sim/stats").then().body("refresh_reuse_after_grace", equalTo(1))
                .body("codes_issued", equalTo(1)).body("codes_exchanged", equalTo(1)).body("refreshes", equalTo(2));

        String output = Files.readString(log);
        assertThat(output).contains("Profile simulator activated").doesNotContain("xoxe");
        for (String token : List.of(access, refresh)) {
            assertThat(output).doesNotContain(token);
        }
    }

    /**
     * The chart's simulator Pod probes {@code /q/health/ready}: with no operator in this process the Operator SDK's
     * health check must not keep it unready (it answered 503 and the Pod never became Ready).
     */
    @Test
    void readyAndLiveWithoutAnOperator() {
        slack().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        slack().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    private io.restassured.response.Response refresh(String refreshToken) {
        return slack().auth().preemptive().basic("1111.2222", "sim-client-secret")
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refreshToken)
                .post("/api/oauth.v2.access");
    }
}

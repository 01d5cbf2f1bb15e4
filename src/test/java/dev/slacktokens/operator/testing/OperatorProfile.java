package dev.slacktokens.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Runs the operator against the Fabric8 CRUD mock server, with the simulator in the same application on a random
 * port that is also the operator's public URL and its Slack base URL.
 */
public class OperatorProfile implements QuarkusTestProfile {

    public static final int PORT = freePort();
    public static final String BASE = "http://localhost:" + PORT;
    public static final String OPERATOR_NAMESPACE = "slack-token-operator";

    /** The default app's display name (slack-operator.slack.app-display-name), shown on the confirmation page. */
    public static final String APP_NAME = "Deploy Bot (simulated)";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "slack-operator.store-write-retry", "5s",
                "quarkus.http.test-port", Integer.toString(PORT),
                "slack-operator.enabled", "true",
                "slack-operator.public-url", BASE,
                "slack-operator.namespace", OPERATOR_NAMESPACE,
                "slack-operator.slack.base-url", BASE,
                "slack-operator.slack.client-id", "1111.2222",
                "slack-operator.slack.client-secret", "sim-client-secret",
                "slack-operator.slack.signing-secret", "sim-signing-secret",
                "slack-operator.slack.app-display-name", APP_NAME);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.slacktokens.operator.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** A consent refused by the operator's own client-side limit says so, instead of blaming Slack. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OAuthLocalLimitTest.OneExchangePerMinute.class)
class OAuthLocalLimitTest extends OperatorTestBase {

    public static class OneExchangePerMinute extends OperatorProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("slack-operator.slack.oauth-access-per-minute", "1");
            return config;
        }
    }

    @Test
    void theOperatorsOwnLimitIsNamedOnThePage() {
        SlackUserConnection first = create("first", spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(first)).statusCode()).isEqualTo(200);
        SlackUserConnection second = create("second", spec("chat:write"));

        HttpResponse<String> page = new Browser().authorize(awaitAuthorizeUrl(second));
        assertPage(page, 503, "Slack was not called");
        assertThat(page.body()).contains("own limit of 1 oauth.v2.access call").doesNotContain("Slack unavailable");
        // at most the limiter's minute plus its margin
        assertThat(page.headers().firstValue("Retry-After")).hasValueSatisfying(s -> assertThat(Integer.parseInt(s))
                .isBetween(1, 62));
        assertThat(simStat("codes_exchanged")).as("Slack was not asked").isEqualTo(1);
        assertNoSecrets(second);
    }
}

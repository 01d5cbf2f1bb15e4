package dev.slacktokens.operator.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.oauth.Rebinding.Identity;
import dev.slacktokens.operator.oauth.Rebinding.Verdict;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreCodec;
import dev.slacktokens.operator.store.StoreState;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** Who may replace the Slack identity a connection is bound to. */
class RebindingTest {

    static final Identity ALICE = new Identity("U0ALICE01", "T0SIM0001");

    static StoreState store(boolean live, String reauthorizeHandled) {
        Map<String, String> data = new HashMap<>(Map.of("user_id", "U0ALICE01", "team_id", "T0SIM0001"));
        if (live) {
            data.put("access_token", "xoxe.xoxp-1-alice");
        }
        Map<String, String> encoded = new HashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        var builder = new SecretBuilder().withNewMetadata().withName("suc-x").endMetadata().withData(encoded);
        if (reauthorizeHandled != null) {
            builder.editMetadata().addToAnnotations(Labels.REAUTHORIZE_HANDLED, reauthorizeHandled).endMetadata();
        }
        return StoreCodec.decode(builder.build());
    }

    static Map<String, String> requested(String value) {
        return Map.of(Labels.REAUTHORIZE_REQUEST, value);
    }

    @Test
    void decisions() {
        Identity bob = new Identity("U0BOB0001", "T0SIM0001");
        Identity aliceElsewhere = new Identity("U0ALICE01", "T0OTHER01");
        assertThat(Rebinding.decide(null, Map.of(), bob)).isEqualTo(Verdict.FIRST);
        assertThat(Rebinding.decide(store(true, null), Map.of(), ALICE)).isEqualTo(Verdict.RENEW);
        assertThat(Rebinding.decide(store(false, null), Map.of(), ALICE)).isEqualTo(Verdict.RENEW);
        // another user or workspace, live tokens, nothing requested: refused
        assertThat(Rebinding.decide(store(true, null), Map.of(), bob)).isEqualTo(Verdict.REFUSE);
        assertThat(Rebinding.decide(store(true, null), null, aliceElsewhere)).isEqualTo(Verdict.REFUSE);
        // a request the store already acted on is not a new one
        assertThat(Rebinding.decide(store(true, "1"), requested("1"), bob)).isEqualTo(Verdict.REFUSE);
        // a pending request (not acted on yet), or dead tokens: the connection changes hands
        assertThat(Rebinding.decide(store(true, "1"), requested("2"), bob)).isEqualTo(Verdict.SWITCH);
        assertThat(Rebinding.decide(store(true, null), requested("1"), bob)).isEqualTo(Verdict.SWITCH);
        assertThat(Rebinding.decide(store(false, null), Map.of(), bob)).isEqualTo(Verdict.SWITCH);
    }
}

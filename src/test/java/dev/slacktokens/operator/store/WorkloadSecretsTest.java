package dev.slacktokens.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SecretTemplate;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** The workload Secret: what it holds (never a refresh token), and when a live one already says it all. */
class WorkloadSecretsTest {

    static SlackUserConnection connection() {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of("chat:write"));
        spec.setSecretName("slack-token");
        SecretTemplate template = new SecretTemplate();
        template.setLabels(Map.of("team", "a"));
        spec.setSecretTemplate(template);
        SlackUserConnection c = new SlackUserConnection();
        c.setMetadata(new ObjectMetaBuilder().withName("conn").withNamespace("team-a").withUid("uid-1").build());
        c.setSpec(spec);
        return c;
    }

    @Test
    void theDesiredSecretHoldsTheAccessTokensAndNeverARefreshToken() {
        Secret desired = WorkloadSecrets.desired(connection(), StoreCodecTest.tokens(true));
        assertThat(desired.getMetadata().getName()).isEqualTo("slack-token");
        assertThat(desired.getMetadata().getLabels()).containsEntry("team", "a")
                .containsEntry(Labels.ROLE, Labels.ROLE_WORKLOAD);
        assertThat(desired.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
        assertThat(StoreCodec.decode(desired.getData())).containsEntry("access_token", "xoxe.xoxp-1-access")
                .containsEntry("bot_access_token", "xoxe.xoxb-1-bot").containsEntry("token_type", "user")
                .doesNotContainKeys("refresh_token", "bot_refresh_token");
    }

    @Test
    void withoutTokensOnlyTheIdentityIsLeft() {
        Secret desired = WorkloadSecrets.withoutTokens(connection(), StoreCodecTest.authorized(false)
                .dead(Reason.Revoked, "x"));
        assertThat(StoreCodec.decode(desired.getData())).containsOnlyKeys("token_type", "user_id", "team_id");
    }

    @Test
    void aLiveSecretSatisfiesTheDesiredOneWhateverOthersAddedButNotWithAStaleOrDeadKey() {
        Secret desired = WorkloadSecrets.desired(connection(), StoreCodecTest.tokens(false));
        Map<String, String> data = new HashMap<>(desired.getData());
        data.put("added-by-someone", "eA==");
        Secret live = new SecretBuilder(desired).withData(data).editMetadata().addToLabels("extra", "1")
                .withResourceVersion("9").endMetadata().build();
        assertThat(WorkloadSecrets.satisfies(live, desired)).isTrue();
        assertThat(WorkloadSecrets.satisfies(null, desired)).isFalse();
        Map<String, String> stale = new HashMap<>(data);
        stale.put("access_token", "b2xk");
        assertThat(WorkloadSecrets.satisfies(new SecretBuilder(live).withData(stale).build(), desired)).isFalse();
        Secret dead = WorkloadSecrets.withoutTokens(connection(), StoreCodecTest.authorized(false)
                .dead(Reason.Revoked, "x"));
        assertThat(WorkloadSecrets.satisfies(live, dead)).as("a dead token must be removed").isFalse();
        Secret foreign = new SecretBuilder(live).editMetadata().withOwnerReferences(List.of()).endMetadata().build();
        assertThat(WorkloadSecrets.satisfies(foreign, desired)).isFalse();
    }
}

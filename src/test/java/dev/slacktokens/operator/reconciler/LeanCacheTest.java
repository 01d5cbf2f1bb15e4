package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/** What the informer caches keep: the same content, without managed fields, repeated strings held once. */
class LeanCacheTest {

    static final String SECRET = """
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "%s", "namespace": "team-a", "labels": {"slacktokens.dev/role": "workload"},
               "ownerReferences": [{"apiVersion": "slacktokens.dev/v1alpha1", "kind": "SlackUserConnection",
                 "name": "%s", "uid": "u-%s"}],
               "managedFields": [{"manager": "slack-token-operator", "operation": "Apply"}]},
             "data": {"team_id": "VDBTSU0=", "scope": "Y2hhdDp3cml0ZQ==", "access_token": "eG94ZS54b3hwLSVz"}}
            """;

    @Test
    void twoCachedSecretsShareTheirRepeatedStringsAndReadTheSame() {
        Secret a = Serialization.unmarshal(SECRET.formatted("a", "a", "a"), Secret.class);
        Secret b = Serialization.unmarshal(SECRET.formatted("b", "b", "b"), Secret.class);
        Secret expected = Serialization.unmarshal(SECRET.formatted("a", "a", "a"), Secret.class);
        expected.getMetadata().setManagedFields(null);
        assertThat(a.getData().get("team_id")).isNotSameAs(b.getData().get("team_id"));

        LeanCache.strip(a);
        LeanCache.strip(b);

        assertThat(a.getMetadata().getManagedFields()).isNull();
        assertThat(Serialization.asJson(a)).isEqualTo(Serialization.asJson(expected));
        assertThat(a.getData().get("team_id")).isSameAs(b.getData().get("team_id"));
        assertThat(a.getData().get("scope")).isSameAs(b.getData().get("scope"));
        assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
        assertThat(a.getMetadata().getLabels().get("slacktokens.dev/role"))
                .isSameAs(b.getMetadata().getLabels().get("slacktokens.dev/role"));
        assertThat(a.getMetadata().getOwnerReferences().get(0).getKind())
                .isSameAs(b.getMetadata().getOwnerReferences().get(0).getKind());
        assertThat(a.getData().get("access_token")).as("per-connection values are left alone")
                .isNotSameAs(b.getData().get("access_token"));
    }

    @Test
    void objectsBuiltInCodeWithImmutableCollectionsAreLeftAsTheyAre() {
        Secret built = new SecretBuilder().withNewMetadata().withName("x").withNamespace("ns")
                .withLabels(Map.of("k", "v")).endMetadata().withData(Map.of("scope", "eA==")).build();
        built.getMetadata().setLabels(Map.of("k", "v"));
        built.setData(Map.of("scope", "eA=="));
        SlackUserConnection c = Serialization.unmarshal("""
                {"apiVersion": "slacktokens.dev/v1alpha1", "kind": "SlackUserConnection",
                 "metadata": {"name": "c", "namespace": "ns"}, "spec": {"userScopes": ["chat:write"]},
                 "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Refreshed"}]}}
                """, SlackUserConnection.class);
        c.getStatus().setGrantedScopes(List.of("chat:write"));

        LeanCache.strip(built);
        LeanCache.strip(c);

        assertThat(built.getData()).containsEntry("scope", "eA==");
        assertThat(c.getStatus().getConditions().get(0).getReason()).isSameAs("Refreshed");
        assertThat(c.getStatus().getGrantedScopes()).containsExactly("chat:write");
    }
}

package dev.slacktokens.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/** A clean stop gives the Lease up only if this replica holds it, so a follower need not wait for it to expire. */
class LeaderLeaseTest {

    static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    KubernetesMockServer server;
    KubernetesClient client;
    final LeaderLease lease = new LeaderLease("ops", "slack-token-operator", "pod-a");

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    void holder(String identity) {
        client.resource(new LeaseBuilder().withNewMetadata().withName("slack-token-operator").withNamespace("ops")
                .endMetadata().withNewSpec().withHolderIdentity(identity).withLeaseDurationSeconds(15)
                .withAcquireTime(NOW.minusSeconds(60).atZone(ZoneOffset.UTC))
                .withRenewTime(NOW.minusSeconds(1).atZone(ZoneOffset.UTC)).withLeaseTransitions(3).endSpec().build())
                .create();
    }

    Lease current() {
        return client.resources(Lease.class).inNamespace("ops").withName("slack-token-operator").get();
    }

    @Test
    void heldLeaseIsReleasedAtOnce() {
        holder("pod-a");
        assertThat(lease.release(client, NOW)).isTrue();
        var spec = current().getSpec();
        assertThat(spec.getHolderIdentity()).isNullOrEmpty();
        assertThat(spec.getLeaseDurationSeconds()).isEqualTo(1);
        assertThat(spec.getRenewTime().toInstant()).isEqualTo(NOW);
        assertThat(spec.getLeaseTransitions()).isEqualTo(3);
    }

    @Test
    void anotherHoldersLeaseIsLeftAlone() {
        holder("pod-b");
        assertThat(lease.release(client, NOW)).isFalse();
        assertThat(current().getSpec().getHolderIdentity()).isEqualTo("pod-b");
        assertThat(current().getSpec().getLeaseDurationSeconds()).isEqualTo(15);
    }

    @Test
    void noLeaseNoRelease() {
        assertThat(lease.release(client, NOW)).isFalse();
        assertThat(current()).isNull();
    }
}

package dev.slacktokens.operator.config;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.connection.StateKeys;
import dev.slacktokens.operator.testing.AllowAllRules;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import dev.slacktokens.operator.testing.RecordingExit;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * With leader election on, only the Lease holder reconciles, while the HTTP endpoints serve on every replica; a
 * replica that loses the Lease is configured to exit.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = LeaderElectionTest.HeldElsewhere.class)
@TestProfile(LeaderElectionTest.LeaderProfile.class)
class LeaderElectionTest extends OperatorTestBase {

    static final String LEASE = "held-elsewhere";

    public static class LeaderProfile extends OperatorProfile {
        @Override
        public String getConfigProfile() {
            return "leader-test";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("slack-operator.leader-election.lease-name", LEASE);
            overrides.put("slack-operator.leader-election.identity", "this-replica");
            return overrides;
        }
    }

    /** Before the operator starts, another replica holds the Lease (and the mock answers the RBAC self-check). */
    public static class HeldElsewhere extends AllowAllRules {
        @Override
        public void accept(io.quarkus.test.kubernetes.client.KubernetesServer server) {
            super.accept(server);
            server.getClient().leases().inNamespace(OperatorProfile.OPERATOR_NAMESPACE).resource(new LeaseBuilder()
                    .withNewMetadata().withName(LEASE).withNamespace(OperatorProfile.OPERATOR_NAMESPACE).endMetadata()
                    .withNewSpec().withHolderIdentity("other-replica").withLeaseDurationSeconds(3600)
                    .withAcquireTime(ZonedDateTime.now()).withRenewTime(ZonedDateTime.now()).endSpec().build())
                    .create();
        }
    }

    @Inject
    LeaderElectionConfiguration leaderElection;

    @Inject
    StateKeys keys;

    @Inject
    RecordingExit exits;

    /**
     * Through the producer's wiring: the leader callbacks JOSDK was given end in the process exit (a test that built
     * its own LeaseLoss could not see a callback that was never wired).
     */
    @Test
    void aLostLeaseMakesTheReplicaExit() {
        var callbacks = leaderElection.getLeaderCallbacks().orElseThrow();
        callbacks.onStopLeading();
        assertThat(exits.statuses()).as("a lost Lease exits with status 1").containsExactly(1);
        assertThat(leaderElection.getLeaseName()).isEqualTo(LEASE);
        assertThat(leaderElection.getLeaseNamespace()).contains(OperatorProfile.OPERATOR_NAMESPACE);
        assertThat(leaderElection.getIdentity()).contains("this-replica");
        java.util.List<Integer> direct = new java.util.ArrayList<>();
        LeaseLoss loss = new LeaseLoss(direct::add);
        loss.shuttingDown();
        loss.onStopLeading();
        assertThat(direct).as("a clean shutdown releases the Lease without exiting").isEmpty();
    }

    @Test
    void onlyTheLeaseHolderReconcilesWhileEndpointsServeEverywhere() {
        var lease = client.leases().inNamespace(OperatorProfile.OPERATOR_NAMESPACE).withName(LEASE);
        assertThat(lease.get().getSpec().getHolderIdentity()).isEqualTo("other-replica");
        SlackUserConnection c = create("follower", spec("chat:write"));
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> get(c).getStatus() == null);
        assertThat(metric("slack_operator_leader")).as("a follower's leader gauge").isZero();

        // A follower is ready (the Service routes to it) and serves the OAuth endpoints (the Ingress may route to
        // any replica).
        given().baseUri(OperatorProfile.BASE).get("/q/health/ready").then().statusCode(200);
        given().baseUri(OperatorProfile.BASE).get("/q/health/live").then().statusCode(200);
        String link = keys.codec().signLink(ns, "follower", get(c).getMetadata().getUid(), 0,
                Duration.ofMinutes(5));
        given().baseUri(OperatorProfile.BASE).redirects().follow(false).queryParam("c", link).get("/oauth/start")
                .then().statusCode(200).body(org.hamcrest.Matchers.containsString("Continue to Slack"));

        // The other replica stops renewing: this one takes the Lease over and reconciles.
        lease.edit(l -> {
            l.getSpec().setRenewTime(ZonedDateTime.now().minusHours(2));
            l.getSpec().setLeaseDurationSeconds(1);
            return l;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> "this-replica".equals(lease.get().getSpec()
                .getHolderIdentity()));
        awaitReady(c, false, "AwaitingAuthorization");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("slack_operator_leader") == 1.0);
    }
}

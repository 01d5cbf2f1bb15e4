package dev.slacktokens.operator.config;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * This replica's leader Lease, and giving it up on a clean stop. JOSDK builds its leader elector with
 * {@code releaseOnCancel=false}: stopping the operator runs the stop-leading callback but leaves the Lease held, so
 * the next leader waited for it to expire (measured with the chart: 14.4 s after {@code kubectl delete pod} with a
 * 15 s Lease). Releasing it as client-go and Fabric8 do (no holder, 1 s duration) lets a follower take over on its
 * next retry.
 */
public record LeaderLease(String namespace, String name, String identity) {

    /**
     * Gives the Lease up if this replica still holds it; call only once the operator has stopped (no reconciliation
     * runs any more). The update carries the resourceVersion just read, so a Lease taken meanwhile is left alone.
     *
     * @return whether the Lease was released
     */
    public boolean release(KubernetesClient client, Instant now) {
        var leases = client.resources(Lease.class).inNamespace(namespace).withName(name);
        Lease lease = leases.get();
        if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
            return false;
        }
        ZonedDateTime at = now.atZone(ZoneOffset.UTC);
        lease.getSpec().setHolderIdentity(null);
        lease.getSpec().setLeaseDurationSeconds(1);
        lease.getSpec().setAcquireTime(at);
        lease.getSpec().setRenewTime(at);
        try {
            client.resource(lease).update();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return false; // someone else wrote the Lease in between: it is no longer ours to release
            }
            throw e;
        }
    }
}

package dev.slacktokens.operator.config;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

import org.jboss.logging.Logger;

/**
 * What a replica does when it stops leading: exit at once (a stale leader must not finish a refresh that the new
 * leader may also start; Kubernetes restarts the Pod as a follower) — unless the process is shutting down anyway,
 * in which case stopping the operator releases the Lease and exiting would only turn a clean stop into a crash.
 */
public final class LeaseLoss {

    private static final Logger LOG = Logger.getLogger(LeaseLoss.class);

    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final IntConsumer exit;

    public LeaseLoss(IntConsumer exit) {
        this.exit = exit;
    }

    public void shuttingDown() {
        shuttingDown.set(true);
    }

    public void onStopLeading() {
        if (shuttingDown.get()) {
            LOG.info("Released leadership while shutting down");
            return;
        }
        LOG.error("Lost leadership (the Lease was taken or could not be renewed): exiting so that no stale "
                + "leader keeps refreshing tokens");
        exit.accept(1);
    }
}

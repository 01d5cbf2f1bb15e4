package dev.slacktokens.operator.reconciler;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import io.quarkus.arc.DefaultBean;

/** No faults in production; a test bean of type {@link RefreshFaults} takes precedence. */
@ApplicationScoped
class RefreshFaultsProducer {

    @Produces
    @DefaultBean
    @ApplicationScoped
    RefreshFaults none() {
        return RefreshFaults.NONE;
    }
}

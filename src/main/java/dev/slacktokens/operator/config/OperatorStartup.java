package dev.slacktokens.operator.config;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.StartupEvent;
import org.jboss.logging.Logger;

/**
 * Starts the Java Operator SDK unless this process is the standalone Slack simulator. QOSDK's own auto-start is
 * a build-time switch, so the choice is made here at run time ({@code slack-operator.enabled}).
 */
public class OperatorStartup {

    private static final Logger LOG = Logger.getLogger(OperatorStartup.class);

    void onStart(@Observes StartupEvent event, OperatorConfig config, Instance<Operator> operator) {
        if (!config.enabled()) {
            LOG.info("Operator disabled (slack-operator.enabled=false): not connecting to Kubernetes");
            return;
        }
        operator.get().start();
    }
}

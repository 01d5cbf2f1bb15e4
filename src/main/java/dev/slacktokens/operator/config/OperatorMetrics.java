package dev.slacktokens.operator.config;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The operator's Micrometer metrics (Prometheus at {@code /q/metrics}):
 * {@code slack_token_expiry_timestamp_seconds{namespace,name}}, {@code slack_token_refreshes_total{result}},
 * {@code slack_oauth_callbacks_total{result}}, {@code slack_oauth_start_refusals_total{step,result}},
 * {@code slack_events_total{type,result}} and
 * {@code slack_connections{reason}}.
 */
@ApplicationScoped
public class OperatorMetrics {

    private final MeterRegistry registry;
    private final Map<String, Double> expiry = new ConcurrentHashMap<>();
    private final Map<String, Reason> reasons = new ConcurrentHashMap<>();

    OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Reason reason : Reason.values()) {
            Gauge.builder("slack.connections", reasons, m -> m.values().stream().filter(reason::equals).count())
                    .tag("reason", reason.name()).description("SlackUserConnections by Ready reason")
                    .register(registry);
        }
    }

    public void refresh(String result) {
        registry.counter("slack.token.refreshes", "result", result).increment();
    }

    public void callback(String result) {
        registry.counter("slack.oauth.callbacks", "result", result).increment();
    }

    /** A refused step before Slack: {@code link} (the confirmation page) or {@code continue} (its button). */
    public void startRefused(String step, String result) {
        registry.counter("slack.oauth.start.refusals", "step", step, "result", result).increment();
    }

    public void event(String type, String result) {
        registry.counter("slack.events", "type", type, "result", result).increment();
    }

    /** The connection's current state: its Ready reason and, for rotating tokens, its expiry (epoch seconds). */
    public void connection(String namespace, String name, Reason reason, Double expiresAtEpochSecond) {
        String key = namespace + "/" + name;
        reasons.put(key, reason);
        if (expiresAtEpochSecond == null) {
            expiry.remove(key);
            return;
        }
        if (expiry.put(key, expiresAtEpochSecond) == null) {
            Gauge.builder("slack.token.expiry.timestamp", expiry, m -> m.getOrDefault(key, Double.NaN))
                    .tags("namespace", namespace, "name", name).baseUnit("seconds")
                    .description("When the connection's access token expires").register(registry);
        }
    }

    public void forget(String namespace, String name) {
        String key = namespace + "/" + name;
        reasons.remove(key);
        expiry.remove(key);
        registry.find("slack.token.expiry.timestamp").tags("namespace", namespace, "name", name).meters()
                .forEach(registry::remove);
    }
}

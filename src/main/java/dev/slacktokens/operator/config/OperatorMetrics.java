package dev.slacktokens.operator.config;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * The operator's Micrometer metrics (Prometheus at {@code /q/metrics}):
 * {@code slack_token_expiry_timestamp_seconds{namespace,name}}, {@code slack_token_refreshes_total{result}},
 * {@code slack_oauth_callbacks_total{result}}, {@code slack_oauth_start_refusals_total{step,result}},
 * {@code slack_events_total{type,result}}, {@code slack_connections{reason}}, and for refreshes on schedule
 * {@code slack_token_refresh_lateness_seconds} (a histogram: from the token's {@code refreshAt} to the start of its
 * refresh) and {@code slack_token_refreshes_after_expiry_total} (refreshes that started after the access token had
 * expired: a workload held an expired token meanwhile), and {@code slack_operator_leader} (1 on the replica that
 * holds the leader Lease and refreshes tokens, else 0).
 * Created at start-up, so that every replica exports its gauges from the first scrape (a follower: 0).
 */
@Startup
@ApplicationScoped
public class OperatorMetrics {

    private final MeterRegistry registry;
    private final Map<String, Double> expiry = new ConcurrentHashMap<>();
    private final Map<String, Reason> reasons = new ConcurrentHashMap<>();
    private final Timer refreshLateness;
    private final Counter refreshesAfterExpiry;
    private final AtomicInteger leader = new AtomicInteger();

    OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.refreshLateness = Timer.builder("slack.token.refresh.lateness")
                .description("From a token's refreshAt to the start of its refresh").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(2))
                .register(registry);
        this.refreshesAfterExpiry = Counter.builder("slack.token.refreshes.after.expiry")
                .description("Refreshes that started after the access token had expired").register(registry);
        for (Reason reason : Reason.values()) {
            Gauge.builder("slack.connections", reasons, m -> m.values().stream().filter(reason::equals).count())
                    .tag("reason", reason.name()).description("SlackUserConnections by Ready reason")
                    .register(registry);
        }
        Gauge.builder("slack.operator.leader", leader, AtomicInteger::get)
                .description("1 on the replica that holds the leader Lease (it refreshes tokens), else 0")
                .register(registry);
    }

    void onLeading(@ObservesAsync LeadershipAcquired event) {
        leader.set(1);
    }

    public void refresh(String result) {
        registry.counter("slack.token.refreshes", "result", result).increment();
    }

    /**
     * A refresh on schedule started {@code lateness} after its {@code refreshAt}, {@code leftBeforeExpiry} before
     * the access token expired (negative: after).
     */
    public void refreshTiming(Duration lateness, Duration leftBeforeExpiry) {
        refreshLateness.record(lateness.isNegative() ? Duration.ZERO : lateness);
        if (leftBeforeExpiry.isNegative()) {
            refreshesAfterExpiry.increment();
        }
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

package dev.slacktokens.operator.simulator;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Start-up settings of the Slack simulator ({@code slack-simulator.*}). Most can be changed at run time through the
 * admin API ({@code /_sim/settings}).
 */
@ConfigMapping(prefix = "slack-simulator")
public interface SimulatorConfig {

    /** Serve Slack's paths and the admin API from this process. */
    @WithDefault("false")
    boolean enabled();

    /** Client id of the default Slack app. */
    @WithDefault("1111.2222")
    String clientId();

    /** Client secret of the default Slack app. */
    @WithDefault("sim-client-secret")
    String clientSecret();

    /** Signing secret used to sign the events the simulator delivers. */
    @WithDefault("sim-signing-secret")
    String signingSecret();

    /** Whether the default app has token rotation on. */
    @WithDefault("true")
    boolean rotation();

    /** Whether the default app has PKCE on (a public client). */
    @WithDefault("false")
    boolean pkce();

    /** The default workspace. */
    @WithDefault("T0SIM0001")
    String teamId();

    @WithDefault("Simulated Workspace")
    String teamName();

    /** The default user, who consents on the authorize page unless told otherwise. */
    @WithDefault("U0SIM0001")
    String userId();

    @WithDefault("sim.user")
    String userName();

    /** Lifetime of rotating access tokens (Slack: always 12 h). */
    @WithDefault("43200s")
    Duration tokenLifetime();

    /** How long a used refresh token still works (Slack: "a short grace period"). */
    @WithDefault("60s")
    Duration refreshGrace();

    /** How long an authorization code is valid (Slack: 10 minutes). */
    @WithDefault("10m")
    Duration codeLifetime();

    /** Where signed events (tokens_revoked, app_uninstalled) are delivered, e.g. the operator's /slack/events. */
    Optional<String> eventsUrl();

    /** Seed for probabilistic fault injection, so a run can be repeated. */
    @WithDefault("42")
    long faultSeed();
}

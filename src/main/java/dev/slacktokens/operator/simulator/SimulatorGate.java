package dev.slacktokens.operator.simulator;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Keeps the simulator's paths dark unless {@code slack-simulator.enabled} is true, so that an operator process never
 * answers as Slack.
 */
public class SimulatorGate {

    private final SimulatorConfig config;

    SimulatorGate(SimulatorConfig config) {
        this.config = config;
    }

    @ServerRequestFilter(preMatching = true)
    public Response gate(ContainerRequestContext request) {
        if (config.enabled()) {
            return null;
        }
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/api/") || path.startsWith("/oauth/v2/") || path.startsWith("/_sim")) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        return null;
    }
}

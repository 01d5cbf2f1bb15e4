package dev.slacktokens.operator.config;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Keeps the operator's endpoints dark when this process is not the operator (the standalone simulator). */
public class OperatorGate {

    private final OperatorConfig config;

    OperatorGate(OperatorConfig config) {
        this.config = config;
    }

    @ServerRequestFilter(preMatching = true)
    public Response gate(ContainerRequestContext request) {
        if (config.enabled()) {
            return null;
        }
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/oauth/start") || path.startsWith("/oauth/callback") || path.startsWith("/slack/")) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        return null;
    }
}

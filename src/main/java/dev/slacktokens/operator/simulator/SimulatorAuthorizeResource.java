package dev.slacktokens.operator.simulator;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/** Slack's consent page ({@code /oauth/v2/authorize}), served by the simulator: it consents (or denies) at once. */
@Path("/oauth/v2")
public class SimulatorAuthorizeResource {

    private final SlackSimulator simulator;

    SimulatorAuthorizeResource(SlackSimulator simulator) {
        this.simulator = simulator;
    }

    @GET
    @Path("authorize")
    @Produces(MediaType.TEXT_HTML)
    public Response authorize(@Context UriInfo uri) {
        Map<String, String> params = new LinkedHashMap<>();
        uri.getQueryParameters().forEach((k, v) -> params.put(k, v.isEmpty() ? null : v.get(0)));
        SlackSimulator.AuthorizeResult result = simulator.authorize(params);
        if (result instanceof SlackSimulator.AuthorizeResult.Redirect r) {
            return Response.status(Response.Status.FOUND).location(r.location()).header("Cache-Control", "no-store")
                    .build();
        }
        SlackSimulator.AuthorizeResult.ErrorPage e = (SlackSimulator.AuthorizeResult.ErrorPage) result;
        return Response.status(Response.Status.BAD_REQUEST)
                .entity("<!doctype html><title>Slack (simulated)</title><h1>Oops, something went wrong</h1>"
                        + "<p>Error: <code>" + SimulatorResource.escape(e.error()) + "</code></p><p>"
                        + SimulatorResource.escape(e.description()) + "</p>")
                .build();
    }

}

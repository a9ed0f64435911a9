using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// The dashboard wants the admin key (<see cref="OperatorAccess"/>). Without a configured key it is
/// open in Development only: it shows aggregates, networks truncated to /24 or /48 and domains,
/// never an address or an email, but outside a developer's machine it is still for operators.
/// </summary>
public sealed class DashboardAccess : IEndpointFilter
{
    public const string Realm = "ThrottleCluster dashboard";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        => OperatorAccess.Refusal(context.HttpContext, Realm, openWithoutKeyInDevelopment: true) ?? await next(context);
}

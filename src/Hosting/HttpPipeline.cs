using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace ThrottleCluster.Hosting;

/// <summary>The request pipeline both hosts put before their endpoints, once.</summary>
public static class HttpPipeline
{
    /// <summary>
    /// Whatever escapes an endpoint becomes problem+json; an empty error answer (404, 405...) gets a
    /// body too; bodies are bounded (<see cref="RequestLimits"/>) and their charset checked before any
    /// endpoint reads them, and admin endpoints refuse a request without the admin key before anything
    /// else looks at it.
    /// </summary>
    public static WebApplication UseThrottleHttp(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = HandleExceptionAsync, SuppressDiagnosticsCallback = _ => false });
        app.UseStatusCodePages(context => Problems.WriteAsync(context.HttpContext,
            new Problems.Problem(context.HttpContext.Response.StatusCode, ReasonPhrases.GetReasonPhrase(context.HttpContext.Response.StatusCode), null)));
        app.Use(AdminApiKey.GuardAsync);
        app.UseRequestLimits();
        app.Use(RequestCharset.GuardAsync);
        return app;
    }

    /// <summary>
    /// Last line of defence. Input never gets here (endpoints reject it first); what does is a store,
    /// directory or grain that cannot answer: nothing was decided, so nothing is sent.
    /// </summary>
    private static Task HandleExceptionAsync(HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested) return Task.CompletedTask;
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        return Problems.WriteAsync(context, error is BadHttpRequestException ? Problems.InvalidRequest : Problems.Unavailable);
    }
}

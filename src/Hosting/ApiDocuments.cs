using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ThrottleCluster.Hosting;

/// <summary>
/// OpenAPI documents (Microsoft.AspNetCore.OpenApi) of a host's HTTP APIs, one per audience, at
/// <c>GET /openapi/{name}.json</c>: <see cref="Decisions"/> (gateways: decisions and the nginx check),
/// <see cref="Admin"/> (operators: everything behind the admin key) and <see cref="Resets"/> (the
/// Api's password resets). An endpoint is in the document of its group (<c>WithGroupName</c>) and in
/// no other. In Development an interactive page (Scalar) at <c>/scalar</c> reads them.
/// </summary>
public static class ApiDocuments
{
    public const string Decisions = "decisions";
    public const string Admin = "admin";
    public const string Resets = "resets";
    public const string PathPattern = "/openapi/{documentName}.json";

    public static string PathOf(string document) => $"/openapi/{document}.json";

    /// <summary>Adds the documents of the APIs this host serves.</summary>
    public static IServiceCollection AddApiDocuments(this IServiceCollection services, params string[] documents)
    {
        foreach (var document in documents)
        {
            services.AddOpenApi(document, options =>
            {
                options.ShouldInclude = description => description.GroupName == document;
                if (document == Admin) options.AddDocumentTransformer((openApi, _, _) => RequireAdminKey(openApi));
            });
        }
        return services;
    }

    /// <summary>Every admin operation needs the key in <see cref="AdminApiKey.Header"/>: declared once, so clients generated from the document send it.</summary>
    private static Task RequireAdminKey(OpenApiDocument document)
    {
        const string scheme = "AdminApiKey";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = AdminApiKey.Header,
            Description = $"The configured {AdminApiKey.ConfigurationKey}.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] }];
        return Task.CompletedTask;
    }

    /// <summary>
    /// Documents a JSON request body of <typeparamref name="T"/> for an endpoint that reads its body
    /// itself. Unlike <c>Accepts</c>, it leaves routing alone: a body of another media type still
    /// reaches the endpoint, which answers it with its own 400.
    /// </summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder)
        => builder.AddOpenApiOperationTransformer(async (operation, context, ct) => operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct) } },
        });

    public static WebApplication MapApiDocuments(this WebApplication app)
    {
        app.MapOpenApi(PathPattern);
        if (app.Environment.IsDevelopment()) app.MapScalarApiReference();
        return app;
    }
}

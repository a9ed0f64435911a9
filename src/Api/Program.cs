using ThrottleCluster.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddThrottleApi();

var app = builder.Build();
app.MapThrottleApi();
app.Run();

/// <summary>The Api's entry point (public for WebApplicationFactory).</summary>
public partial class Program;

using ThrottleCluster.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddResetFrontEnd();
// The throttling gate (IResetGate) is registered by AddResetGate: in-process grains in embedded
// mode, the silos in cluster mode. Start-up stops with a message naming it when it is missing.
var app = builder.Build();
app.MapResetFrontEnd();
app.Run();

/// <summary>The Api's entry point (public for WebApplicationFactory).</summary>
public partial class Program;

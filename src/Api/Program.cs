using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddResetGate();
builder.Services.AddResetFrontEnd();
var app = builder.Build();
app.MapResetGate();
app.MapResetFrontEnd();
app.Run();

/// <summary>The Api's entry point (public for WebApplicationFactory).</summary>
public partial class Program;

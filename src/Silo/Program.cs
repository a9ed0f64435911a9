using ThrottleCluster.Hosting;

var builder = WebApplication.CreateBuilder(args);
var cluster = ClusterSettings.Read(builder.Configuration);
var policies = ThrottlePolicies.Read(builder.Configuration);
builder.UseOrleans(silo => silo.UseThrottleClustering(cluster).AddThrottleGrains(cluster, policies).AddThrottleDashboard(builder.Configuration));
builder.Services.AddDecisionApi(builder.Configuration, cluster, policies);
builder.Services.AddApiDocuments(ApiDocuments.Decisions, ApiDocuments.Admin);

var app = builder.Build();
app.UseThrottleHttp();
app.MapDecisionApi();
app.MapHealth();
app.MapMetrics();
app.MapApiDocuments();
app.Run();

/// <summary>The silo's entry point (public for WebApplicationFactory).</summary>
public partial class Program;

using ThrottleCluster.Api.Hosting;
using ThrottleCluster.Hosting;

var builder = WebApplication.CreateBuilder(args);
var cluster = ClusterSettings.Read(builder.Configuration);
var policies = ThrottlePolicies.Read(builder.Configuration);
// Embedded: a silo of its own in this process. Otherwise an Orleans client of the cluster's silos.
if (cluster.IsEmbedded)
    builder.UseOrleans(silo => silo.UseThrottleClustering(cluster).AddThrottleGrains(cluster, policies));
else
    builder.UseOrleansClient(client => client.UseThrottleClustering(cluster));
builder.Services.AddDecisionApi(builder.Configuration, cluster, policies);
builder.Services.AddResetFrontEnd(cluster);

var app = builder.Build();
if (cluster.IsEmbedded) app.MapDecisionApi();
app.MapResetFrontEnd();
app.Run();

/// <summary>The Api's entry point (public for WebApplicationFactory).</summary>
public partial class Program;

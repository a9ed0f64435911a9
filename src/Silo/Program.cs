using ThrottleCluster.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddThrottleSilo();
var app = builder.Build();
app.MapThrottleSilo();
app.Run();

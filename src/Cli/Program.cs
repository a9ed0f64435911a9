using ThrottleCluster.Cli;

return await Throttlectl.RunAsync(args, CliIo.FromConsole());

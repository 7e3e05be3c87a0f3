Console.WriteLine("Benchmarks: not yet written.");

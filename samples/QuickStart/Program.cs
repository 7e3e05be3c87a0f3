Console.WriteLine("QuickStart: not yet written.");

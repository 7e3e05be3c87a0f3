namespace TaskRunner.Cli;

/// <summary>Bad input or a refused action: reported as one line on the error stream with exit code 1, never as a stack
/// trace.</summary>
internal sealed class CliUserException(string message) : Exception(message);

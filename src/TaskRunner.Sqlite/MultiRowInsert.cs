using System.Globalization;
using System.Text;

namespace TaskRunner.Sqlite;

/// <summary>The multi-row <c>INSERT</c> statements for runs of 2 to <see cref="MaxRows"/> jobs without unique or
/// idempotency keys, built once. Parameter 0 is <c>@now</c>; then <see cref="ColumnsPerRow"/> per row.</summary>
internal static class MultiRowInsert
{
    public const int MaxRows = 32;

    public const int ColumnsPerRow = 12;

    private static readonly string[] Columns =
        ["name", "queue", "payload", "state", "priority", "run_at", "max_attempts", "timeout", "concurrency_key", "tags", "batch_id", "trace_parent"];

    public static readonly string[] Sql = Build(out ParameterNames);

    public static readonly string[][] ParameterNames;

    private static string[] Build(out string[][] names)
    {
        var sql = new string[MaxRows + 1];
        names = new string[MaxRows + 1][];
        for (var rows = 2; rows <= MaxRows; rows++)
        {
            var text = new StringBuilder("INSERT INTO jobs (created_at, ").AppendJoin(", ", Columns).Append(") VALUES ");
            var parameters = new List<string> { "@now" };
            for (var row = 0; row < rows; row++)
            {
                text.Append(row == 0 ? "(@now" : ", (@now");
                foreach (var column in Columns)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"@{column}_{row}");
                    parameters.Add(name);
                    text.Append(", ").Append(name);
                }

                text.Append(')');
            }

            sql[rows] = text.Append(" RETURNING id").ToString();
            names[rows] = [.. parameters];
        }

        return sql;
    }
}

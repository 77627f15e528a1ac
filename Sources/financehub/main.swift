import FinanceCLI
import Foundation

exit(await FinanceHubCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))

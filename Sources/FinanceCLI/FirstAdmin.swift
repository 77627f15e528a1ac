import FinanceApp
import FinanceCore
import FinanceStorage

/// The admin created on a first start with no users, so that the embedded default is secure and still zero-setup:
/// a random password, printed once to stderr as a banner (never through the logger). With several instances on one
/// database the first to create it prints it; the others find it exists.
struct FirstAdmin {
    let name: String
    let password: String

    /// Creates `admin` when the user table is empty; nil when there are users (or another instance just made it).
    static func create(auth: AuthService, users: any UserRepository) async throws -> FirstAdmin? {
        guard try await users.userCount() == 0 else { return nil }
        let password = Self.randomPassword()
        let admin = User(
            name: "admin", passwordHash: auth.hashPassword(password), role: .admin, tier: .enterprise,
            createdAt: SystemClock().nowMilliseconds())
        do {
            try await users.createUser(admin)
        } catch StorageError.conflict {
            return nil
        }
        return FirstAdmin(name: admin.name, password: password)
    }

    /// 20 characters from an alphabet without look-alikes (about 115 bits).
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The banner shown once.
    func banner(baseURL: String) -> String {
        """

        ==================================================================================================
          First start: an admin account was created. Its password is shown only this once.
            user:      \(self.name)
            password:  \(self.password)
          Sign in:
            curl -s -XPOST \(baseURL)/api/auth/login -H 'content-type: application/json' \\
                 -d '{"username":"\(self.name)","password":"\(self.password)"}'
          Add users with: financehub user add NAME --role admin|user --tier free|pro|enterprise --password-stdin
        ==================================================================================================

        """
    }
}

//! Which account fields each payout method requires, and their formats: one data table
//! ([`METHODS`]), so a new method or a changed rule is a one-line edit. The gateway checks
//! presence too; we check formats first so a user gets a field error instead of a refund.

/// An account field of the flat API body (mapped to the gateway's nested shape in
/// [`super::order`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    AccountNumber,
    AccountName,
    AccountEmail,
    ReceiverName,
    /// `bank_details.bank_code`: the IFSC for Indian banks.
    BankCode,
    /// `bank_details.branch_code`.
    BranchCode,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Self::AccountNumber => "account_number",
            Self::AccountName => "account_name",
            Self::AccountEmail => "account_email",
            Self::ReceiverName => "receiver_name",
            Self::BankCode => "bank_code",
            Self::BranchCode => "branch_code",
        }
    }
}

/// What an `account_number` must look like for a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountFormat {
    /// An Indian bank account: 9-18 digits.
    IndianBankAccount,
    /// A UPI id (VPA): `name@handle`.
    Vpa,
    /// An Indian mobile number: 10 digits, sent without the +91 prefix (a leading `+91` is
    /// removed, since that is how users write it).
    IndianMobile,
    /// A Bangladeshi mobile wallet number: 11 digits starting `01`.
    BangladeshMobile,
    /// A Pakistani mobile wallet number: 11 digits starting `03`.
    PakistanMobile,
}

/// One payout method's rules.
#[derive(Clone, Copy, Debug)]
pub struct MethodRules {
    pub payment_system: &'static str,
    /// The currencies it pays out in.
    pub currencies: &'static [&'static str],
    pub required: &'static [Field],
    /// Account fields it also takes, sent when given.
    pub optional: &'static [Field],
    pub account_format: AccountFormat,
    /// The gateway's current withdrawal request takes an integer `amount`.
    pub whole_amounts: bool,
}

use AccountFormat::*;
use Field::*;

/// The payout methods we offer, with their required fields.
pub const METHODS: &[MethodRules] = &[
    MethodRules {
        payment_system: "imps",
        currencies: &["INR"],
        required: &[AccountNumber, AccountName, BankCode, ReceiverName],
        optional: &[BranchCode],
        account_format: IndianBankAccount,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "imps_ib",
        currencies: &["INR"],
        required: &[AccountNumber, AccountName, BankCode, ReceiverName],
        optional: &[BranchCode],
        account_format: IndianBankAccount,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "upi_ib",
        currencies: &["INR"],
        required: &[AccountNumber, AccountName],
        optional: &[],
        account_format: Vpa,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "paytm",
        currencies: &["INR"],
        required: &[AccountNumber],
        optional: &[],
        account_format: IndianMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "paytm_api",
        currencies: &["INR"],
        required: &[AccountNumber],
        optional: &[],
        account_format: IndianMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "bkash",
        currencies: &["BDT"],
        required: &[AccountNumber, AccountEmail],
        optional: &[],
        account_format: BangladeshMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "bkash_api",
        currencies: &["BDT"],
        required: &[AccountNumber],
        optional: &[],
        account_format: BangladeshMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "nagad",
        currencies: &["BDT"],
        required: &[AccountNumber],
        optional: &[],
        account_format: BangladeshMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "nagad_api",
        currencies: &["BDT"],
        required: &[AccountNumber],
        optional: &[],
        account_format: BangladeshMobile,
        whole_amounts: true,
    },
    MethodRules {
        payment_system: "easypaisa_api",
        currencies: &["PKR"],
        required: &[AccountNumber],
        optional: &[],
        account_format: PakistanMobile,
        whole_amounts: true,
    },
];

/// The rules of a payout method, if we offer it.
pub fn rules_for(payment_system: &str) -> Option<&'static MethodRules> {
    METHODS.iter().find(|m| m.payment_system == payment_system)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl MethodRules {
    /// The method's account fields, required ones first, with what each must look like.
    pub fn fields(&self) -> impl Iterator<Item = (Field, bool, Option<&'static str>)> + '_ {
        let describe = move |f: Field| match f {
            AccountNumber => Some(self.account_format.describe()),
            AccountEmail => Some("an e-mail address"),
            BankCode if self.currencies == ["INR"] => Some("an IFSC like SBIN0001234"),
            _ => None,
        };
        self.required
            .iter()
            .map(move |f| (*f, true, describe(*f)))
            .chain(self.optional.iter().map(move |f| (*f, false, describe(*f))))
    }
}

impl AccountFormat {
    /// What the number must look like, in the words of its field error.
    pub fn describe(self) -> &'static str {
        match self {
            IndianBankAccount => "9-18 digits",
            Vpa => "a UPI id like name@bank",
            IndianMobile => "a 10-digit mobile number (a leading +91 is dropped)",
            BangladeshMobile => "an 11-digit number starting with 01",
            PakistanMobile => "an 11-digit number starting with 03",
        }
    }

    /// The normalised account number, or what is wrong with it.
    pub fn normalise(self, raw: &str) -> Result<String, &'static str> {
        match self {
            IndianBankAccount => {
                if all_digits(raw) && (9..=18).contains(&raw.len()) {
                    Ok(raw.to_string())
                } else {
                    Err("must be 9-18 digits")
                }
            }
            Vpa => {
                let ok = raw.split_once('@').is_some_and(|(name, handle)| {
                    !name.is_empty()
                        && name.len() <= 256
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                        && !handle.is_empty()
                        && handle.len() <= 64
                        && handle.bytes().all(|b| b.is_ascii_alphanumeric())
                });
                if ok {
                    Ok(raw.to_string())
                } else {
                    Err("must be a UPI id like name@bank")
                }
            }
            IndianMobile => {
                let n = raw.strip_prefix("+91").unwrap_or(raw);
                if all_digits(n) && n.len() == 10 {
                    Ok(n.to_string())
                } else {
                    Err("must be a 10-digit mobile number (without +91)")
                }
            }
            BangladeshMobile => {
                if all_digits(raw) && raw.len() == 11 && raw.starts_with("01") {
                    Ok(raw.to_string())
                } else {
                    Err("must be an 11-digit number starting with 01")
                }
            }
            PakistanMobile => {
                if all_digits(raw) && raw.len() == 11 && raw.starts_with("03") {
                    Ok(raw.to_string())
                } else {
                    Err("must be an 11-digit number starting with 03")
                }
            }
        }
    }
}

/// An Indian Financial System Code: 4 letters, `0`, 6 letters or digits (`SBIN0001234`).
pub fn is_ifsc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[..4].iter().all(u8::is_ascii_uppercase)
        && b[4] == b'0'
        && b[5..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces).
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && s.len() <= 190
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_method_once_and_indian_banks_need_an_ifsc() {
        for m in METHODS {
            assert_eq!(
                METHODS
                    .iter()
                    .filter(|o| o.payment_system == m.payment_system)
                    .count(),
                1,
                "{}",
                m.payment_system
            );
            assert!(m.required.contains(&AccountNumber));
            for c in m.currencies {
                assert!(payments::Currency::parse(c).is_ok(), "{c}");
            }
        }
        for ps in ["imps", "imps_ib"] {
            let r = rules_for(ps).unwrap();
            for f in [AccountNumber, AccountName, BankCode, ReceiverName] {
                assert!(r.required.contains(&f), "{ps} {f:?}");
            }
        }
        assert!(rules_for("bkash").unwrap().required.contains(&AccountEmail));
        assert!(!rules_for("nagad").unwrap().required.contains(&AccountEmail));
        assert!(rules_for("upi_l").is_none());
    }

    /// The documents' table: account_name for imps_ib and upi_ib ("PS = imps_ib, upi_ib, ...",
    /// the older text: "imps, upi"), account_email for bkash ("PS = bkash, ..."),
    /// receiver_name for imps, bank_details.bank_code the IFSC for India; Paytm numbers without
    /// the +91 code (the legacy request's note); UPI users are paid out by IMPS (imps,
    /// imps_ib), in INR.
    #[test]
    fn the_table_matches_the_documents() {
        let required = |ps: &str| rules_for(ps).unwrap().required;
        for ps in ["imps", "imps_ib", "upi_ib"] {
            assert!(required(ps).contains(&AccountName), "{ps}");
        }
        assert!(required("imps").contains(&ReceiverName));
        assert!(required("bkash").contains(&AccountEmail));
        for ps in ["paytm", "paytm_api"] {
            let r = rules_for(ps).unwrap();
            assert_eq!(r.account_format, IndianMobile, "{ps}");
            assert_eq!(
                r.account_format.normalise("+919876543210").as_deref(),
                Ok("9876543210")
            );
        }
        for ps in ["imps", "imps_ib"] {
            let r = rules_for(ps).unwrap();
            assert_eq!(r.currencies, ["INR"]);
            let fields: Vec<_> = r.fields().collect();
            assert!(fields.contains(&(BankCode, true, Some("an IFSC like SBIN0001234"))));
            assert!(fields.contains(&(BranchCode, false, None)), "{fields:?}");
        }
        // Every field a method lists is described once, required ones first.
        for m in METHODS {
            let fields: Vec<_> = m.fields().collect();
            assert_eq!(fields.len(), m.required.len() + m.optional.len());
            assert!(
                fields
                    .iter()
                    .all(|(f, _, _)| !m.optional.contains(f) || !m.required.contains(f))
            );
            assert_eq!(
                fields[0],
                (AccountNumber, true, Some(m.account_format.describe()))
            );
        }
    }

    #[test]
    fn account_formats() {
        assert_eq!(
            IndianMobile.normalise("+919876543210"),
            Ok("9876543210".into())
        );
        assert_eq!(
            IndianMobile.normalise("9876543210"),
            Ok("9876543210".into())
        );
        assert!(IndianMobile.normalise("919876543210").is_err());
        assert!(IndianMobile.normalise("98765 43210").is_err());
        assert!(IndianBankAccount.normalise("12345678").is_err());
        assert!(IndianBankAccount.normalise("123456789012").is_ok());
        assert!(IndianBankAccount.normalise("1234567890123456789").is_err());
        assert!(Vpa.normalise("ravi.k-1@okaxis").is_ok());
        assert!(Vpa.normalise("ravi@").is_err());
        assert!(Vpa.normalise("ravi@ok axis").is_err());
        assert!(BangladeshMobile.normalise("01712345678").is_ok());
        assert!(BangladeshMobile.normalise("02712345678").is_err());
        assert!(PakistanMobile.normalise("03001234567").is_ok());
    }

    #[test]
    fn ifsc_and_email() {
        assert!(is_ifsc("SBIN0001234"));
        assert!(is_ifsc("HDFC0ABC123"));
        assert!(!is_ifsc("SBIN1001234"));
        assert!(!is_ifsc("sbin0001234"));
        assert!(!is_ifsc("SBIN000123"));
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@@example.com"));
    }
}

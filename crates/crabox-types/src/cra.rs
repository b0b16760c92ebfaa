//! The product categories of Regulation (EU) 2024/2847: the important products of Annex III
//! (class I and class II), the critical products of Annex IV, and `default` for every other
//! product. `[product] category` names one by its identifier here.

/// How the Regulation classes a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Neither Annex III nor Annex IV.
    Default,
    /// Annex III, class I.
    ImportantClassI,
    /// Annex III, class II.
    ImportantClassII,
    /// Annex IV.
    Critical,
}

/// One category: its identifier, class, the point of the Annex, and its wording.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub id: &'static str,
    pub class: Class,
    /// `Annex III, class I, point 3`.
    pub point: &'static str,
    pub description: &'static str,
}

const fn category(
    id: &'static str,
    class: Class,
    point: &'static str,
    description: &'static str,
) -> Category {
    Category {
        id,
        class,
        point,
        description,
    }
}

/// Every category.
pub const CATEGORIES: [Category; 27] = [
    category(
        "default",
        Class::Default,
        "none (not in Annex III or IV)",
        "a product with digital elements not listed in Annex III or IV",
    ),
    category(
        "identity-management",
        Class::ImportantClassI,
        "Annex III, class I, point 1",
        "identity management systems and privileged access management software and hardware, including authentication and access control readers",
    ),
    category(
        "browser",
        Class::ImportantClassI,
        "Annex III, class I, point 2",
        "standalone and embedded browsers",
    ),
    category(
        "password-manager",
        Class::ImportantClassI,
        "Annex III, class I, point 3",
        "password managers",
    ),
    category(
        "anti-malware",
        Class::ImportantClassI,
        "Annex III, class I, point 4",
        "software that searches for, removes or quarantines malicious software",
    ),
    category(
        "vpn",
        Class::ImportantClassI,
        "Annex III, class I, point 5",
        "products with the function of a virtual private network (VPN)",
    ),
    category(
        "network-management",
        Class::ImportantClassI,
        "Annex III, class I, point 6",
        "network management systems",
    ),
    category(
        "siem",
        Class::ImportantClassI,
        "Annex III, class I, point 7",
        "security information and event management (SIEM) systems",
    ),
    category(
        "boot-manager",
        Class::ImportantClassI,
        "Annex III, class I, point 8",
        "boot managers",
    ),
    category(
        "pki",
        Class::ImportantClassI,
        "Annex III, class I, point 9",
        "public key infrastructure and digital certificate issuance software",
    ),
    category(
        "network-interface",
        Class::ImportantClassI,
        "Annex III, class I, point 10",
        "physical and virtual network interfaces",
    ),
    category(
        "operating-system",
        Class::ImportantClassI,
        "Annex III, class I, point 11",
        "operating systems",
    ),
    category(
        "router-modem-switch",
        Class::ImportantClassI,
        "Annex III, class I, point 12",
        "routers, modems intended for the connection to the internet, and switches",
    ),
    category(
        "security-microprocessor",
        Class::ImportantClassI,
        "Annex III, class I, point 13",
        "microprocessors with security-related functionalities",
    ),
    category(
        "security-microcontroller",
        Class::ImportantClassI,
        "Annex III, class I, point 14",
        "microcontrollers with security-related functionalities",
    ),
    category(
        "security-asic-fpga",
        Class::ImportantClassI,
        "Annex III, class I, point 15",
        "ASICs and FPGAs with security-related functionalities",
    ),
    category(
        "smart-home-assistant",
        Class::ImportantClassI,
        "Annex III, class I, point 16",
        "smart home general purpose virtual assistants",
    ),
    category(
        "smart-home-security",
        Class::ImportantClassI,
        "Annex III, class I, point 17",
        "smart home products with security functionalities (door locks, security cameras, baby monitors, alarm systems)",
    ),
    category(
        "connected-toy",
        Class::ImportantClassI,
        "Annex III, class I, point 18",
        "internet-connected toys with social interactive or location tracking features",
    ),
    category(
        "wearable",
        Class::ImportantClassI,
        "Annex III, class I, point 19",
        "personal wearables with a health monitoring purpose, or intended for children",
    ),
    category(
        "hypervisor-container-runtime",
        Class::ImportantClassII,
        "Annex III, class II, point 1",
        "hypervisors and container runtime systems that support virtualised execution of operating systems",
    ),
    category(
        "firewall-ids-ips",
        Class::ImportantClassII,
        "Annex III, class II, point 2",
        "firewalls, intrusion detection and prevention systems",
    ),
    category(
        "tamper-resistant-microprocessor",
        Class::ImportantClassII,
        "Annex III, class II, point 3",
        "tamper-resistant microprocessors",
    ),
    category(
        "tamper-resistant-microcontroller",
        Class::ImportantClassII,
        "Annex III, class II, point 4",
        "tamper-resistant microcontrollers",
    ),
    category(
        "security-box",
        Class::Critical,
        "Annex IV, point 1",
        "hardware devices with security boxes",
    ),
    category(
        "smart-meter-gateway",
        Class::Critical,
        "Annex IV, point 2",
        "smart meter gateways and other devices for advanced security purposes, including secure cryptoprocessing",
    ),
    category(
        "smartcard",
        Class::Critical,
        "Annex IV, point 3",
        "smartcards or similar devices, including secure elements",
    ),
];

/// The category with identifier `id`.
pub fn category_of(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// The conformity assessment procedures open to a product of `class` (Article 32), each with its
/// condition; `standards_declared` says whether `[evidence] standards` lists any.
pub fn procedures(class: Class, standards_declared: bool) -> Vec<String> {
    const B_C: &str = "EU-type examination (module B) followed by conformity to type based on internal production control (module C), Annex VIII Parts II and III";
    const H: &str = "conformity based on full quality assurance (module H), Annex VIII Part IV";
    const EUCC: &str = "a European cybersecurity certification scheme under Article 27(9), at assurance level at least `substantial`";
    match class {
        Class::Default => vec![
            "internal control (module A), Annex VIII Part I".to_owned(),
            B_C.to_owned(),
            H.to_owned(),
            EUCC.to_owned(),
        ],
        Class::ImportantClassI => vec![
            format!(
                "internal control (module A), only where harmonised standards, common specifications or a European cybersecurity certification (at least `substantial`) are applied in full (Article 32(2)){}",
                if standards_declared {
                    ": `[evidence] standards` lists what is applied; that it covers every requirement in full is the manufacturer's to show"
                } else {
                    ": none is listed in `[evidence] standards`, so module A is not open"
                }
            ),
            B_C.to_owned(),
            H.to_owned(),
            EUCC.to_owned(),
            "free and open-source software whose technical documentation is public may use module A (Article 32(5))".to_owned(),
        ],
        Class::ImportantClassII => vec![
            B_C.to_owned(),
            H.to_owned(),
            EUCC.to_owned(),
            "free and open-source software whose technical documentation is public may use module A (Article 32(5))".to_owned(),
        ],
        Class::Critical => vec![
            "a European cybersecurity certificate at assurance level at least `substantial`, where a delegated act under Article 8(1) requires one (Article 32(4))".to_owned(),
            format!("otherwise as class II: {B_C}; {H}"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_unique_and_classes_counted_as_the_annexes() {
        let mut ids: Vec<&str> = CATEGORIES.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATEGORIES.len());
        let count = |class| CATEGORIES.iter().filter(|c| c.class == class).count();
        assert_eq!(count(Class::ImportantClassI), 19);
        assert_eq!(count(Class::ImportantClassII), 4);
        assert_eq!(count(Class::Critical), 3);
        assert!(procedures(Class::ImportantClassI, false)[0].contains("module A is not open"));
        assert!(
            !procedures(Class::ImportantClassII, true)
                .iter()
                .any(|p| p.starts_with("internal control"))
        );
    }
}

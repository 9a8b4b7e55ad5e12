-- The roles and permissions that sesame ships. These are reference data that
-- the code relies on (sesame.Perm*), not demo data: every database has them.
INSERT INTO roles (name) VALUES ('customer'), ('privileged'), ('admin');

INSERT INTO role_permissions (role, permission) VALUES
	('customer',   'products.view'),
	('customer',   'cart.edit'),
	('privileged', 'checkout'),
	('privileged', 'task.perform'),
	('admin',      'products.view'),
	('admin',      'cart.edit'),
	('admin',      'checkout'),
	('admin',      'task.perform'),
	('admin',      'admin');
